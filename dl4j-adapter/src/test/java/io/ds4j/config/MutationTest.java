package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random edits of real configs (drop a key, change a value's type, misspell a key, put an out-of-range number)
 * either still read or fail with {@link DeepSpeedConfigException} naming a path; never any other exception.
 * Seeded, about three thousand edits.
 */
class MutationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object[] ODD_VALUES = {"x", "auto", true, false, 1.5, -1L, 0L, 1e30, -1e300,
        Long.MAX_VALUE, Long.MIN_VALUE, List.of(), Map.of(), null, 0.5, 2L, List.of(1L, "a"), "cpu", "none"};
    private static final Object[] NUMBERS = {-1L, 0L, 1L, -0.5, 0.5, 1.5, 1e18, 9.3e18, -9.3e18, 1e300,
        Long.MAX_VALUE, Long.MIN_VALUE, 4294967296L};

    @Test
    void randomEditsFailOnlyWithAPathNamingException() throws IOException {
        List<Map<String, Object>> bases = new ArrayList<>();
        List<Path> files = new ArrayList<>(RepoFiles.jsonFiles(RepoFiles.realConfigs()));
        files.addAll(RepoFiles.seedExamples());
        for (Path p : files) {
            bases.add(JsonTree.parseObject(Files.readString(p)));
        }
        Random rnd = new Random(20261125L);
        int edits = 0;
        int rejected = 0;
        for (int i = 0; i < 3000; i++) {
            Map<String, Object> doc = mutableCopy(bases.get(rnd.nextInt(bases.size())));
            int n = 1 + rnd.nextInt(2);
            for (int k = 0; k < n; k++) {
                mutate(doc, rnd);
            }
            String text = JSON.writeValueAsString(doc);
            edits++;
            try {
                DeepSpeedConfig c = DeepSpeedConfig.parse(text);
                c.resolve(1 + rnd.nextInt(4));
                c.resolve(2, 1 + rnd.nextInt(16));
                c.toJson(1);
            } catch (DeepSpeedConfigException e) {
                rejected++;
                assertTrue(e.detail() != null && !e.detail().isEmpty(), text);
            } catch (RuntimeException e) {
                fail("edit #" + i + " threw " + e + " instead of DeepSpeedConfigException for:\n" + text, e);
            }
        }
        assertTrue(rejected > edits / 10 && rejected < edits, "edits should be a mix: " + rejected + "/" + edits);
    }

    /** Every key of every strict section of the valid real configs, misspelt, is refused at its own path. */
    @Test
    @SuppressWarnings("unchecked")
    void misspeltKeysInStrictSectionsAreNamedWithAHint() throws IOException {
        Random rnd = new Random(7L);
        int checked = 0;
        for (Path p : RepoFiles.jsonFiles(RepoFiles.realConfigs())) {
            Map<String, Object> base = JsonTree.parseObject(Files.readString(p));
            try {
                DeepSpeedConfig.parse(Files.readString(p));
            } catch (DeepSpeedConfigException e) {
                continue; // only configs that read cleanly
            }
            for (String section : List.of("zero_optimization", "fp16", "bf16", "optimizer")) {
                if (!(base.get(section) instanceof Map<?, ?> sec)) {
                    continue;
                }
                for (Object k : sec.keySet()) {
                    Map<String, Object> doc = mutableCopy(base);
                    Map<String, Object> target = (Map<String, Object>) doc.get(section);
                    String key = (String) k;
                    String wrong = misspell(key, rnd);
                    Map<String, Object> renamed = new LinkedHashMap<>();
                    target.forEach((kk, vv) -> renamed.put(kk.equals(key) ? wrong : kk, vv));
                    doc.put(section, renamed);
                    DeepSpeedConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                            DeepSpeedConfigException.class, () -> DeepSpeedConfig.parse(JSON.writeValueAsString(doc)),
                            p.getFileName() + ": " + section + "." + wrong);
                    org.junit.jupiter.api.Assertions.assertEquals(section + "." + wrong, e.path(), e.getMessage());
                    assertTrue(e.detail().contains("did you mean '" + key + "'?"), e.getMessage());
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, "checked " + checked);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mutableCopy(Map<String, Object> m) {
        Map<String, Object> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v instanceof Map<?, ?> mm ? mutableCopy((Map<String, Object>) mm)
                : v instanceof List<?> l ? new ArrayList<>(l) : v));
        return c;
    }

    /** Picks a random object in the tree, then a random key of it, and edits it. */
    @SuppressWarnings("unchecked")
    private static void mutate(Map<String, Object> root, Random rnd) {
        Map<String, Object> target = root;
        while (!target.isEmpty()) {
            List<String> keys = new ArrayList<>(target.keySet());
            String key = keys.get(rnd.nextInt(keys.size()));
            Object v = target.get(key);
            if (v instanceof Map<?, ?> m && !m.isEmpty() && rnd.nextInt(3) > 0) {
                target = (Map<String, Object>) m;
                continue;
            }
            switch (rnd.nextInt(4)) {
                case 0 -> target.remove(key);
                case 1 -> target.put(key, ODD_VALUES[rnd.nextInt(ODD_VALUES.length)]);
                case 2 -> {
                    target.remove(key);
                    target.put(misspell(key, rnd), v);
                }
                default -> target.put(key, v instanceof Number || rnd.nextBoolean()
                        ? NUMBERS[rnd.nextInt(NUMBERS.length)] : v);
            }
            return;
        }
        root.put("train_batch_size", NUMBERS[rnd.nextInt(NUMBERS.length)]);
    }

    private static String misspell(String key, Random rnd) {
        if (key.length() < 2) {
            return key + "x";
        }
        int i = rnd.nextInt(key.length() - 1);
        char[] c = key.toCharArray();
        char t = c[i];
        c[i] = c[i + 1];
        c[i + 1] = t;
        String swapped = new String(c);
        return swapped.equals(key) ? key + "_" : swapped;
    }
}
