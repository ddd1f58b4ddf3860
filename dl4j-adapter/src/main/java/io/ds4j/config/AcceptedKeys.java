package io.ds4j.config;

import io.ds4j.schedules.Schedules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every key path the reader accepts, taken from the reader itself, not from a list kept here:
 * <ul>
 *   <li>strict sections ({@code zero_optimization}, its offload and {@code leaf_module} sub-sections, {@code fp16},
 *       {@code bf16}, the monitors, {@code optimizer} and its {@code params} per optimizer type): an unknown key far
 *       from every known one makes the reader list all the keys it knows in its error message;</li>
 *   <li>lenient sections and the top level: every key the reader reads is printed with its default by
 *       {@link DeepSpeedConfig#toMap}, plus the gated sections of {@link FeatureGate}, {@link OtherSections} and
 *       the section names the document reader marks as known;</li>
 *   <li>{@code scheduler.params}: {@link Schedules#paramNames} for each of {@link Schedules#types()}.</li>
 * </ul>
 * The reference page ({@link ReferencePage}) and the tests that keep every key acting or warning read this list.
 */
final class AcceptedKeys {
    /** Far (Levenshtein) from every real key, so the reader lists its known keys instead of a "did you mean". */
    static final String FAR = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
    /** The optimizer types ds4j implements; each has its own list of params. */
    static final List<String> OPTIMIZER_TYPES = List.of("Adam", "AdamW", "Lamb", "Adagrad", "Lion", "SGD");
    private static final Pattern KNOWN = Pattern.compile("known keys: \\[([^\\]]*)\\]");

    private AcceptedKeys() {
    }

    /** Every accepted key path, sorted. */
    static Set<String> all() {
        Set<String> all = new TreeSet<>(topLevel());
        all.addAll(strictKeys("zero_optimization", "{\"zero_optimization\": {\"" + FAR + "\": 1}}"));
        for (String sub : List.of("offload_optimizer", "offload_param", "leaf_module")) {
            all.addAll(strictKeys("zero_optimization." + sub, "{\"zero_optimization\": {\"stage\": 3, \"" + sub
                    + "\": {\"" + FAR + "\": 1}}}"));
        }
        for (String s : List.of("fp16", "bf16", "tensorboard", "csv_monitor", "optimizer")) {
            all.addAll(strictKeys(s, "{\"" + s + "\": {\"" + FAR + "\": 1}}"));
        }
        for (String type : OPTIMIZER_TYPES) {
            all.addAll(optimizerParams(type));
        }
        all.add("scheduler.type");
        all.add("scheduler.params");
        for (String type : Schedules.types()) {
            Schedules.paramNames(type).forEach(p -> all.add("scheduler.params." + p));
        }
        all.addAll(printedPaths(List.of("checkpoint", "aio", "data_types")));
        return all;
    }

    /** The {@code optimizer.params} paths the reader accepts for one optimizer type. */
    static Set<String> optimizerParams(String type) {
        return strictKeys("optimizer.params", "{\"optimizer\": {\"type\": \"" + type + "\", \"params\": {\"" + FAR
                + "\": 1}}}");
    }

    static Set<String> topLevel() {
        DeepSpeedConfig c = DeepSpeedConfig.parse("{\"train_batch_size\": 1}");
        Set<String> keys = new TreeSet<>(c.toMap(1).keySet());
        keys.addAll(FeatureGate.keys());
        keys.addAll(OtherSections.KEYS);
        keys.addAll(List.of(OptimizerReader.KEY, SchedulerReader.KEY, PrecisionReader.BF16_LEGACY, "allgather_size"));
        return keys;
    }

    /** Paths of the keys the reader printed (with defaults) under each of the given lenient sections. */
    @SuppressWarnings("unchecked")
    static Set<String> printedPaths(List<String> sections) {
        Map<String, Object> printed = DeepSpeedConfig.parse("{\"train_batch_size\": 1}").toMap(1);
        Set<String> out = new TreeSet<>();
        for (String s : sections) {
            collect(s, (Map<String, Object>) printed.get(s), out);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static void collect(String prefix, Map<String, Object> section, Set<String> out) {
        section.forEach((k, v) -> {
            out.add(prefix + "." + k);
            if (v instanceof Map<?, ?> m) {
                collect(prefix + "." + k, (Map<String, Object>) m, out);
            }
        });
    }

    /** The keys a strict section knows, read from the reader's "unknown key" error for a far-fetched key. */
    static Set<String> strictKeys(String sectionPath, String body) {
        String json = "{\"train_batch_size\": 1, " + body.substring(1);
        try {
            DeepSpeedConfig.parse(json);
        } catch (DeepSpeedConfigException e) {
            Matcher m = KNOWN.matcher(e.getMessage());
            if (!m.find()) {
                throw new IllegalStateException("expected the reader to list the known keys of " + sectionPath
                        + ", got: " + e.getMessage());
            }
            Set<String> keys = new TreeSet<>();
            List<String> names = new ArrayList<>(Arrays.asList(m.group(1).split(",\\s*")));
            names.forEach(n -> keys.add(sectionPath + "." + n.trim()));
            return keys;
        }
        throw new IllegalStateException("the reader accepted an unknown key in " + sectionPath + ": " + json);
    }
}
