package io.ds4j.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the reader does with one accepted key, found by giving it values ({@link KeyProbe}), not written down by hand:
 * its printed default, whether it takes {@code "auto"}, the warning it gets when given, and the values it refuses
 * because ds4j does not do what they ask.
 *
 * @param path     the key's JSON path
 * @param printed  what {@code validate} prints when the file leaves the key out, or empty when it prints nothing
 * @param auto     true when {@code "auto"} is accepted for the key
 * @param warning  the warning the key gets when the file gives it (without the path), or empty
 * @param refusals the values refused naming the key, with the reader's message for each, in the order tried; when
 *                 some value is accepted, only refusals because ds4j does not do what they ask (the message says
 *                 "ds4j") of a JSON kind that is also accepted count (a type error is not a refusal)
 * @param accepted true when some value of the key is accepted in the probe's context (false also when the context
 *                 alone is incomplete, e.g. a schedule missing another required param: then no refusal names the
 *                 key)
 */
record KeyVerdict(String path, Optional<Object> printed, boolean auto, Optional<String> warning,
        Map<Object, String> refusals, boolean accepted) {

    /** Probes one key. */
    static KeyVerdict of(String path) {
        Optional<KeyProbe.Probe> given = KeyProbe.give(path);
        Optional<String> warning = given.flatMap(p -> p.config().warnings().stream()
                .filter(w -> w.startsWith(path + ": ")).findFirst()).map(w -> w.substring(path.length() + 2));
        return new KeyVerdict(path, KeyProbe.printed(path), takesAuto(path), warning, refusals(path),
                given.isPresent());
    }

    private static boolean takesAuto(String path) {
        try {
            KeyProbe.read(path, "auto");
            return true;
        } catch (DeepSpeedConfigException e) {
            return false;
        }
    }

    private static Map<Object, String> refusals(String path) {
        Map<Object, String> refused = new LinkedHashMap<>();
        Set<String> acceptedKinds = new HashSet<>();
        for (Object v : KeyProbe.values(path)) {
            try {
                KeyProbe.read(path, v);
                acceptedKinds.add(kind(v));
            } catch (DeepSpeedConfigException e) {
                boolean here = e.path().equals(path) || e.path().startsWith(path + ".")
                        || e.path().startsWith(path + "[");
                if (here) {
                    refused.putIfAbsent(v, e.getMessage());
                }
            }
        }
        if (!acceptedKinds.isEmpty()) {
            // some value is accepted: only "ds4j does not do this" refusals of an accepted kind count
            refused.entrySet().removeIf(r -> !acceptedKinds.contains(kind(r.getKey()))
                    || !r.getValue().contains("ds4j"));
        } else if (refused.size() < KeyProbe.values(path).size()) {
            // nothing accepted, but not every value was refused at this key: the probe's context is incomplete
            refused.clear();
        }
        return refused;
    }

    /** The JSON kind of a value, so that a refused {@code true} counts only when some boolean is accepted. */
    static String kind(Object v) {
        return v instanceof Number ? "number" : v instanceof Map<?, ?> ? "object" : v instanceof List<?> ? "array"
                : v == null ? "null" : v.getClass().getSimpleName();
    }

    /** Every accepted key's verdict, in path order. */
    static List<KeyVerdict> all() {
        List<KeyVerdict> out = new ArrayList<>();
        for (String key : AcceptedKeys.all()) {
            out.add(of(key));
        }
        return out;
    }
}
