package io.ds4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ds4j.schedules.Schedules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gives one accepted key a value in an otherwise minimal configuration and reads it: the value is the key's printed
 * default where the reader prints one, else the first of a few plain JSON values the reader takes. The context a key
 * needs is added around it (an optimizer or schedule type that accepts it, ZeRO stage 3 for the ZeRO keys).
 */
final class KeyProbe {
    /** Stands for a key printed as null (no value set). */
    static final Object NOT_SET = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> BATCH = Set.of(BatchTriad.TRAIN, BatchTriad.MICRO, BatchTriad.GAS);
    private static final List<Object> CANDIDATES = List.of(false, true, 0L, 1L, 2L, 3L, 0.5, 1e-3, "fp32", "bf16",
            "WARN", "IGNORE", "sum", "cpu", "nvme", "Adam", "WarmupLR", List.of(0.5, 0.6), Map.of(),
            Map.of("enabled", true), Map.of("autotp_size", 2L), "x", List.of("x"), -1L, "linear");

    /**
     * The result of reading a configuration that gives one key.
     *
     * @param path the key's path
     * @param json the configuration read
     * @param config what the reader made of it
     */
    record Probe(String path, String json, DeepSpeedConfig config) {
        /** True when a warning names exactly this path. */
        boolean warned() {
            return config.warnings().stream().anyMatch(w -> w.startsWith(path + ": "));
        }
    }

    private KeyProbe() {
    }

    /** The first value of the key the reader accepts, or empty when it takes none of them. */
    static Optional<Probe> give(String path) {
        for (Object v : values(path)) {
            try {
                return Optional.of(read(path, v));
            } catch (DeepSpeedConfigException e) {
                // not a value this key takes; try the next one
            }
        }
        return Optional.empty();
    }

    /** The values to try for a key: its printed default first (where printed), then the plain candidates. */
    static List<Object> values(String path) {
        List<Object> values = new ArrayList<>();
        printedDefault(context(path), path).ifPresent(values::add);
        values.addAll(CANDIDATES);
        return values;
    }

    /** Reads the key's context with the key set to {@code value}; throws what the reader throws. */
    static Probe read(String path, Object value) {
        String json = json(with(context(path), path, value));
        return new Probe(path, json, DeepSpeedConfig.parse(json));
    }

    /** The JSON of the key's context without the key. */
    static String baseline(String path) {
        return json(context(path));
    }

    private static Map<String, Object> context(String path) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!BATCH.contains(path)) {
            root.put("train_batch_size", 2L);
        }
        List<String> parts = Arrays.asList(path.split("\\."));
        if (parts.get(0).equals("fp16") || parts.get(0).equals("bf16")) {
            // DeepSpeed refuses the master-weight keys at stage 0
            root.put("zero_optimization", new LinkedHashMap<>(Map.of("stage", 1L)));
        }
        if (path.equals("zero_allow_untested_optimizer")) {
            // it decides whether ZeRO may run an optimizer outside DeepSpeed's tested list
            root.put("optimizer", new LinkedHashMap<>(Map.of("type", "Lamb")));
            root.put("zero_optimization", new LinkedHashMap<>(Map.of("stage", 1L)));
        }
        if (parts.get(0).equals("zero_optimization") && !path.equals("zero_optimization.stage")) {
            root.put("zero_optimization", new LinkedHashMap<>(Map.of("stage", 3L)));
        }
        if (parts.get(0).equals("optimizer") && !path.equals("optimizer.type")) {
            root.put("optimizer", new LinkedHashMap<>(Map.of("type", optimizerFor(path))));
        }
        if (parts.get(0).equals("scheduler") && !path.equals("scheduler.type")) {
            root.put("scheduler", new LinkedHashMap<>(Map.of("type", scheduleFor(path))));
        }
        return root;
    }

    private static String optimizerFor(String path) {
        for (String type : AcceptedKeys.OPTIMIZER_TYPES) {
            if (!path.startsWith("optimizer.params.") || AcceptedKeys.optimizerParams(type).contains(path)) {
                return type;
            }
        }
        throw new IllegalArgumentException("no optimizer type accepts " + path);
    }

    private static String scheduleFor(String path) {
        String leaf = path.substring(path.lastIndexOf('.') + 1);
        return Schedules.types().stream().filter(t -> !path.startsWith("scheduler.params.")
                || Schedules.paramNames(t).contains(leaf)).findFirst().orElseThrow();
    }

    /**
     * What {@code validate} prints for the key when the file leaves it out (in the key's context): empty when the
     * reader prints nothing there; a present Optional holding {@link #NOT_SET} when it prints null.
     */
    @SuppressWarnings("unchecked")
    static Optional<Object> printed(String path) {
        try {
            Object at = DeepSpeedConfig.parse(json(context(path))).toMap(1);
            for (String p : path.split("\\.")) {
                if (!(at instanceof Map<?, ?> m) || !m.containsKey(p)) {
                    return Optional.empty();
                }
                at = ((Map<String, Object>) m).get(p);
            }
            return Optional.of(at == null ? NOT_SET : at);
        } catch (DeepSpeedConfigException e) {
            return Optional.empty();
        }
    }

    @SuppressWarnings("unchecked")
    private static Optional<Object> printedDefault(Map<String, Object> context, String path) {
        try {
            Object at = DeepSpeedConfig.parse(json(context)).toMap(1);
            for (String p : path.split("\\.")) {
                if (!(at instanceof Map<?, ?> m)) {
                    return Optional.empty();
                }
                at = ((Map<String, Object>) m).get(p);
            }
            return Optional.ofNullable(at).filter(v -> !"auto".equals(v));
        } catch (DeepSpeedConfigException e) {
            return Optional.empty();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> with(Map<String, Object> context, String path, Object value) {
        Map<String, Object> root = deepCopy(context);
        String[] parts = path.split("\\.");
        Map<String, Object> at = root;
        for (int i = 0; i < parts.length - 1; i++) {
            at = (Map<String, Object>) at.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
        }
        at.put(parts[parts.length - 1], value);
        return root;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        Map<String, Object> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v instanceof Map<?, ?> inner ? deepCopy((Map<String, Object>) inner) : v));
        return c;
    }

    private static String json(Map<String, Object> m) {
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keys whose value is a section of other accepted keys (their keys are probed one by one instead). */
    static boolean isSection(String path, Set<String> accepted) {
        return accepted.stream().anyMatch(k -> k.startsWith(path + "."));
    }
}
