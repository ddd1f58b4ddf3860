package io.ds4j.schedules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds DeepSpeed's learning-rate schedules from a {@code scheduler} section ({@code type} and {@code params}).
 *
 * <p>DeepSpeed passes {@code scheduler.params} as keyword arguments to the schedule's constructor, so an unknown key
 * is an error there, and so it is here. Parameter values arrive exactly as JSON gave them: {@code Long} (also
 * {@code Integer}) for integral numbers, {@code Double}, {@code Boolean}, {@code String}, {@code List<Object>} or
 * {@code null}. Differences from DeepSpeed, all stricter: an unknown {@code warmup_type} is rejected (DeepSpeed
 * falls back to {@code log}); booleans and strings are not accepted as numbers, nor fractions as stair counts;
 * learning rates and {@code decay_step_size} must be &ge; 0; a per-parameter-group list must hold one value (ds4j
 * trains one parameter group); {@code last_batch_iteration} may only be -1 (resume by restoring the DL4J network,
 * whose iteration count carries the schedule on).
 */
public final class Schedules {
    private static final String LAST = "last_batch_iteration";
    private static final Map<String, List<String>> NAMES = names();

    private Schedules() {
    }

    private static Map<String, List<String>> names() {
        List<String> warmup = List.of("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type", LAST);
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(WarmupLr.TYPE, warmup);
        m.put(WarmupDecayLr.TYPE, concat(List.of("total_num_steps"), warmup));
        m.put(WarmupCosineLr.TYPE, List.of("total_num_steps", "warmup_min_ratio", "warmup_num_steps",
                "cos_min_ratio", "warmup_type", LAST));
        m.put(OneCycle.TYPE, List.of("cycle_min_lr", "cycle_max_lr", "decay_lr_rate", "cycle_first_step_size",
                "cycle_second_step_size", "cycle_first_stair_count", "cycle_second_stair_count", "decay_step_size",
                "cycle_momentum", "cycle_min_mom", "cycle_max_mom", "decay_mom_rate", LAST));
        m.put(LrRangeTest.TYPE, List.of("lr_range_test_min_lr", "lr_range_test_step_size",
                "lr_range_test_step_rate", "lr_range_test_staircase", LAST));
        return Collections.unmodifiableMap(m);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** DeepSpeed's schedule type names: WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle, LRRangeTest. */
    public static Set<String> types() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(NAMES.keySet()));
    }

    /**
     * The parameter names {@code type} accepts (its constructor's keyword arguments), in DeepSpeed's order.
     *
     * @throws ScheduleConfigException with key {@code "type"} for an unknown type
     */
    public static Set<String> paramNames(String type) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(namesOf(type)));
    }

    /**
     * Checks the names, JSON types and ranges of the params present. Keys in {@code autoKeys} are {@code "auto"}
     * (resolved later) and count as present; their values are not checked.
     *
     * @throws ScheduleConfigException naming the first offending key
     */
    public static void validate(String type, Map<String, Object> params, Set<String> autoKeys) {
        build(type, params, autoKeys, 1.0);
    }

    /**
     * Builds the schedule as DeepSpeed's engine does ({@code Schedule(optimizer, **params)}).
     *
     * @param optimizerLr the optimizer's lr, used where DeepSpeed reads it ({@code WarmupLR} without
     *                    {@code warmup_max_lr}, a {@code null} {@code warmup_max_lr}, {@code WarmupCosineLR});
     *                    {@code NaN} if unknown
     * @throws ScheduleConfigException naming the offending key
     * @throws IllegalArgumentException when the schedule needs the optimizer's lr and it is NaN or negative
     */
    public static LrSchedule create(String type, Map<String, Object> params, double optimizerLr) {
        return build(type, params, Set.of(), optimizerLr);
    }

    private static LrSchedule build(String type, Map<String, Object> params, Set<String> autoKeys, double optLr) {
        List<String> names = namesOf(type);
        Map<String, Object> p = params == null ? Map.of() : params;
        for (String key : p.keySet()) {
            if (!names.contains(key)) {
                throw new ScheduleConfigException(key, unknownKey(type, key, names));
            }
        }
        ParamReader r = new ParamReader(type, p, autoKeys == null ? Set.of() : autoKeys);
        long last = r.integer(LAST, -1);
        if (last != -1) {
            throw new ScheduleConfigException(LAST, "only -1 (start from the beginning) is supported, got " + last
                    + "; to resume, restore the saved DL4J network: its iteration count carries the schedule on");
        }
        return switch (type) {
            case WarmupLr.TYPE -> warmupLr(r, optLr);
            case WarmupDecayLr.TYPE -> warmupDecayLr(r, optLr);
            case WarmupCosineLr.TYPE -> warmupCosineLr(r, optLr);
            case OneCycle.TYPE -> oneCycle(r);
            default -> lrRangeTest(r);
        };
    }

    private static List<String> namesOf(String type) {
        List<String> names = type == null ? null : NAMES.get(type);
        if (names == null) {
            String near = Strings.nearest(type, NAMES.keySet());
            throw new ScheduleConfigException("type", "unknown learning-rate schedule \"" + type + "\";"
                    + (near == null ? "" : " did you mean \"" + near + "\"?") + " use one of " + NAMES.keySet());
        }
        return names;
    }

    private static String unknownKey(String type, String key, List<String> names) {
        String near = Strings.nearest(key, names);
        return "is not a parameter of " + type + " (DeepSpeed would fail with an unexpected keyword argument);"
                + (near == null ? "" : " did you mean \"" + near + "\"?") + " accepted: " + names;
    }

    private static Warmup warmup(ParamReader r) {
        long steps = r.integer("warmup_num_steps", Warmup.DEFAULT_NUM_STEPS);
        return new Warmup(steps, WarmupType.fromJson(r.string("warmup_type", WarmupType.LOG.jsonName())));
    }

    private static LrSchedule warmupLr(ParamReader r, double optLr) {
        double min = r.perGroup("warmup_min_lr", 0.0);
        double max = r.isExplicitNull("warmup_max_lr")
                ? optimizerLr(WarmupLr.TYPE, optLr) : r.perGroup("warmup_max_lr", Double.NaN);
        if (Double.isNaN(max)) { // absent: WarmupLR's default is None, i.e. the optimizer's lr
            max = optimizerLr(WarmupLr.TYPE, optLr);
        }
        return new WarmupLr(min, max, warmup(r));
    }

    private static LrSchedule warmupDecayLr(ParamReader r, double optLr) {
        r.require("total_num_steps");
        double total = r.number("total_num_steps", 0);
        double min = r.perGroup("warmup_min_lr", 0.0);
        double max = r.isExplicitNull("warmup_max_lr")
                ? optimizerLr(WarmupDecayLr.TYPE, optLr) : r.perGroup("warmup_max_lr", 0.001);
        return new WarmupDecayLr(min, max, warmup(r), total);
    }

    private static LrSchedule warmupCosineLr(ParamReader r, double optLr) {
        r.require("total_num_steps");
        double total = r.number("total_num_steps", 0);
        double minRatio = r.number("warmup_min_ratio", 0.0);
        double cosMin = r.number("cos_min_ratio", 0.0001);
        return new WarmupCosineLr(optimizerLr(WarmupCosineLr.TYPE, optLr), minRatio, warmup(r), cosMin, total);
    }

    private static LrSchedule oneCycle(ParamReader r) {
        r.require("cycle_min_lr");
        r.require("cycle_max_lr");
        double first = r.number("cycle_first_step_size", 2000);
        double second = r.isExplicitNull("cycle_second_step_size")
                ? first : r.number("cycle_second_step_size", first);
        long firstStairs = r.integer("cycle_first_stair_count", 0);
        long secondStairs = r.isExplicitNull("cycle_second_stair_count")
                ? firstStairs : r.integer("cycle_second_stair_count", firstStairs);
        CycleShape shape = new CycleShape(first, second, firstStairs, secondStairs);
        OneCycle.Bounds lr = new OneCycle.Bounds(r.perGroup("cycle_min_lr", 0.0), r.perGroup("cycle_max_lr", 0.0),
                r.number("decay_lr_rate", 0.0));
        OneCycle.Bounds mom = new OneCycle.Bounds(r.perGroup("cycle_min_mom", 0.8), r.perGroup("cycle_max_mom", 0.9),
                r.number("decay_mom_rate", 0.0));
        return new OneCycle(shape, r.number("decay_step_size", 0), lr, r.bool("cycle_momentum", true), mom);
    }

    private static LrSchedule lrRangeTest(ParamReader r) {
        return new LrRangeTest(r.perGroup("lr_range_test_min_lr", 1e-3), r.integer("lr_range_test_step_size", 2000),
                r.number("lr_range_test_step_rate", 1.0), r.bool("lr_range_test_staircase", false));
    }

    private static double optimizerLr(String type, double optLr) {
        if (!Double.isFinite(optLr) || optLr < 0) {
            String use = WarmupCosineLr.TYPE.equals(type) ? " scales the optimizer's lr" : " without a"
                    + " warmup_max_lr (or with null) uses the optimizer's lr";
            throw new IllegalArgumentException(type + use + ", but that lr is " + optLr
                    + "; set optimizer.params.lr to a number >= 0"
                    + (WarmupCosineLr.TYPE.equals(type) ? "" : " or scheduler.params.warmup_max_lr"));
        }
        return optLr;
    }

    /** A whole number as {@code Long} (as JSON would give it back), anything else as {@code Double}. */
    static Object integralOrDouble(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 0x1p53) {
            return (long) v;
        }
        return v;
    }
}
