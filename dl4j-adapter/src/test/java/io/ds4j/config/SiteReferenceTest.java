package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code site/docs/config-reference.md} in step with the reader: every key the reader accepts must be documented
 * (as a backticked JSON path in the first column of a table row), and every key the page documents must be accepted.
 * The accepted keys come from the reader itself ({@link AcceptedKeys}).
 */
class SiteReferenceTest {
    private static final String FAR = AcceptedKeys.FAR;
    private static final Pattern ROW_KEY = Pattern.compile("^\\|\\s*`([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*)`\\s*\\|");

    private static String page;
    private static Set<String> documented;
    private static Map<String, String> rows;

    @BeforeAll
    static void readPage() throws IOException {
        Path file = RepoFiles.root().resolve("site").resolve("docs").resolve("config-reference.md");
        assertTrue(Files.isRegularFile(file), "missing " + file);
        page = Files.readString(file);
        documented = new TreeSet<>();
        rows = new HashMap<>();
        for (String line : page.split("\n")) {
            Matcher m = ROW_KEY.matcher(line.trim());
            if (m.find()) {
                documented.add(m.group(1));
                rows.put(m.group(1), line);
            }
        }
    }

    @Test
    void everyAcceptedKeyIsDocumented() {
        Set<String> accepted = accepted();
        List<String> missing = accepted.stream().filter(k -> !documented.contains(k)).toList();
        assertEquals(List.of(), missing, "keys the reader accepts but site/docs/config-reference.md does not document "
                + "(add a table row whose first cell is the backticked path)");
    }

    @Test
    void everyDocumentedKeyIsAccepted() {
        Set<String> accepted = accepted();
        List<String> stale = documented.stream().filter(k -> !accepted.contains(k)).toList();
        assertEquals(List.of(), stale, "keys site/docs/config-reference.md documents but the reader does not know");
    }

    /** A key the reader warns about when given is documented as a warning, so the page says what ds4j does. */
    @Test
    void everyWarnedKeyIsDocumentedAsAWarning() {
        Set<String> all = accepted();
        List<String> undocumented = all.stream().filter(k -> !KeyProbe.isSection(k, all))
                .filter(k -> KeyProbe.give(k).map(KeyProbe.Probe::warned).orElse(false))
                .filter(k -> !rows.getOrDefault(k, "").toLowerCase(java.util.Locale.ROOT).contains("warning"))
                .toList();
        assertEquals(List.of(), undocumented, "keys that warn when given but whose row in "
                + "site/docs/config-reference.md does not say \"warning\"");
    }

    /** The derivation must find the sections' full key lists, else the two tests above prove little. */
    @Test
    void derivationFindsWholeSections() {
        Set<String> zero = strictKeys("zero_optimization", "{\"zero_optimization\": {\"" + FAR + "\": 1}}");
        assertTrue(zero.contains("zero_optimization.stage3_prefetch_bucket_size"), zero.toString());
        assertTrue(zero.contains("zero_optimization.cpu_offload"), zero.toString());
        assertTrue(zero.size() > 50, "zero_optimization keys: " + zero.size());
        assertTrue(topLevel().contains("gradient_clipping"));
        assertTrue(documented.size() > 150, "documented keys: " + documented.size());
        assertFalse(page.isBlank());
    }

    private static Set<String> accepted() {
        return AcceptedKeys.all();
    }

    private static Set<String> strictKeys(String sectionPath, String body) {
        return AcceptedKeys.strictKeys(sectionPath, body);
    }

    private static Set<String> topLevel() {
        return AcceptedKeys.topLevel();
    }
}
