package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code toJson} prints with jackson-core's generator alone ({@link JsonTree#write}), so that a trainer's JVM never
 * loads databind; its text must be exactly what databind's indented {@code ObjectMapper} printed before, for every
 * shipped config that reads (seed examples and the real DeepSpeed configs) at the world sizes its batch fits.
 */
class ConfigPrintingTest {
    private static final ObjectMapper DATABIND = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Test
    void printsWhatDatabindPrintedForEveryShippedConfig() throws Exception {
        List<Path> files = new ArrayList<>(RepoFiles.seedExamples());
        files.addAll(RepoFiles.jsonFiles(RepoFiles.realConfigs()));
        int compared = 0;
        for (Path f : files) {
            DeepSpeedConfig c;
            try {
                c = DeepSpeedConfig.load(f);
            } catch (RuntimeException refused) {
                continue; // configs ds4j refuses print nothing
            }
            for (int ws : new int[] {1, 2, 3, 8}) {
                Map<String, Object> m;
                try {
                    m = c.toMap(ws);
                } catch (RuntimeException batchDoesNotFit) {
                    continue; // a triad written for other world sizes
                }
                assertEquals(DATABIND.writeValueAsString(m), c.toJson(ws), f + " at world size " + ws);
                compared++;
            }
        }
        assertTrue(compared >= 40, "expected most shipped configs to print, compared (config, world size) pairs: " + compared);
    }

    @Test
    void printsEveryValueKindAsDatabindDoes() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a \"quoted\" \u00e9 line\n");
        m.put("i", 7);
        m.put("l", 1L << 40);
        m.put("d", 3e-4);
        m.put("nan", Double.NaN);
        m.put("f", 0.5f);
        m.put("b", true);
        m.put("n", null);
        m.put("e", Thread.State.NEW);
        m.put("list", Arrays.asList(1L, "x", null, List.of()));
        m.put("empty", Map.of());
        m.put("nested", Map.of("k", List.of(Map.of("z", 2.0))));
        assertEquals(DATABIND.writeValueAsString(m), JsonTree.write(m));
    }

    @Test
    void refusesAValueItCannotPrintNamingItsType() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> JsonTree.write(Map.of("x", new Object())));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
    }
}
