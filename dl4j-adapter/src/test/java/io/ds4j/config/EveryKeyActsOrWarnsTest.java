package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.config.ZeroBucketConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The README's promise, checked key by key: every key the reader accepts ({@link AcceptedKeys}, taken from the
 * reader) is used, refused, or warned about. A key given in a configuration ({@link KeyProbe}) either gets a warning
 * naming its path, or some value of it is refused naming it or changes what the configuration hands to the training
 * code ({@link EngineView}). Sections are checked through their keys; {@code scheduler.params} are the inputs of the
 * schedule formulas ({@code Schedules.paramNames}) and are checked by the schedules' own tests.
 */
class EveryKeyActsOrWarnsTest {

    @Test
    void everyAcceptedKeyIsUsedRefusedOrWarned() {
        Set<String> all = AcceptedKeys.all();
        List<String> silent = new ArrayList<>();
        int probed = 0;
        for (String key : all) {
            if (KeyProbe.isSection(key, all) || key.startsWith("scheduler.params.")) {
                continue;
            }
            probed++;
            Optional<KeyProbe.Probe> given = KeyProbe.give(key);
            if (given.isPresent() && !given.get().warned() && !someValueActs(key)) {
                silent.add(key);
            }
        }
        assertTrue(probed > 150, "probed only " + probed + " keys");
        assertEquals(List.of(), silent, "accepted silently although no value changes anything: warn about them "
                + "(Section.inert) or make them work");
    }

    @Test
    void maximizeIsRefusedNamingTheKey() {
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig.parse(
                "{\"train_batch_size\": 2, \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.1, "
                        + "\"maximize\": true}}}"));
        assertEquals("optimizer.params.maximize", e.path());
        assertTrue(e.getMessage().contains("negate the loss"), e.getMessage());
        assertFalse(KeyProbe.read("optimizer.params.maximize", false).warned(), "false is what ds4j does");
    }

    @Test
    void inertKeysWarnNamingTheirPath() {
        DeepSpeedConfig c = DeepSpeedConfig.parse("{\"train_batch_size\": 2, \"allgather_size\": 8, "
                + "\"zero_optimization\": {\"stage\": 2, \"overlap_comm\": true, \"stage3_allgather_sequential\": "
                + "true}, \"aio\": {\"block_size\": 4096}}");
        assertEquals(List.of("allgather_size", "zero_optimization.overlap_comm",
                "zero_optimization.stage3_allgather_sequential", "aio.block_size"), c.warnings().stream()
                .map(w -> w.substring(0, w.indexOf(':'))).toList(), c.warnings().toString());
    }

    /** The view ignores what the trainer never reads, and sees what it does. */
    @Test
    void theViewKeepsOnlyWhatTrainingReads() {
        assertFalse(EngineView.isRead(ZeroBucketConfig.class, "contiguousGradients"));
        assertTrue(EngineView.isRead(ZeroBucketConfig.class, "reduceBucketSize"));
        assertTrue(someValueActs("gradient_clipping"));
        assertFalse(someValueActs("zero_optimization.contiguous_gradients"));
    }

    /**
     * True when some value of the key changes the engine's view, or is refused naming the key because ds4j does not
     * do what it asks while another value of the same JSON kind is accepted (not a type or range error, which
     * DeepSpeed would raise too).
     */
    private static boolean someValueActs(String key) {
        List<Object> base = view(KeyProbe.baseline(key));
        List<Object> refused = new ArrayList<>();
        Set<String> acceptedKinds = new HashSet<>();
        for (Object v : KeyProbe.values(key)) {
            try {
                if (!EngineView.of(KeyProbe.read(key, v).config()).equals(base)) {
                    return true;
                }
                acceptedKinds.add(kind(v));
            } catch (DeepSpeedConfigException e) {
                boolean here = e.path().equals(key) || e.path().startsWith(key + ".") || e.path().startsWith(key + "[");
                if (here && e.getMessage().contains("ds4j")) {
                    refused.add(v);
                }
            }
        }
        return refused.stream().anyMatch(v -> acceptedKinds.contains(kind(v)));
    }

    /** The engine's view of a configuration, or its refusal. */
    private static List<Object> view(String json) {
        try {
            return EngineView.of(DeepSpeedConfig.parse(json));
        } catch (DeepSpeedConfigException e) {
            return List.of("refused at " + e.path());
        }
    }

    private static String kind(Object v) {
        return v instanceof Number ? "number" : v instanceof Map<?, ?> ? "object" : v instanceof List<?> ? "array"
                : v.getClass().getSimpleName();
    }
}
