package io.ds4j.schedules;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, checked access to one schedule's {@code scheduler.params} as JSON gave them (Long, Double, Boolean, String,
 * List, null). Keys listed as {@code auto} are deferred: every getter returns its fallback for them.
 */
final class ParamReader {
    private final String type;
    private final Map<String, Object> params;
    private final Set<String> autoKeys;

    ParamReader(String type, Map<String, Object> params, Set<String> autoKeys) {
        this.type = type;
        this.params = params;
        this.autoKeys = autoKeys;
    }

    /** Whether the key is present with an explicit JSON {@code null} (and not deferred). */
    boolean isExplicitNull(String key) {
        return !autoKeys.contains(key) && params.containsKey(key) && params.get(key) == null;
    }

    /** Fails when a key without a DeepSpeed default is neither present nor deferred. */
    void require(String key) {
        if (!params.containsKey(key) && !autoKeys.contains(key)) {
            throw new ScheduleConfigException(key, "is required by " + type + " (DeepSpeed gives it no default);"
                    + " add \"" + key + "\": <value> to scheduler.params");
        }
    }

    /** A JSON number, or {@code fallback} when absent or deferred. */
    double number(String key, double fallback) {
        Object v = value(key);
        if (v == MISSING) {
            return fallback;
        }
        return Checks.finite(key, asNumber(key, v, "a number"));
    }

    /**
     * A learning-rate-like value: a number, or DeepSpeed's per-parameter-group list. ds4j trains one parameter
     * group, so a list is accepted when all its elements are the same number.
     */
    double perGroup(String key, double fallback) {
        Object v = value(key);
        if (v == MISSING) {
            return fallback;
        }
        if (!(v instanceof List<?> list)) {
            return Checks.finite(key, asNumber(key, v, "a number or a list with one number"));
        }
        if (list.isEmpty()) {
            throw new ScheduleConfigException(key, "is an empty list; give a number (one value per parameter group)");
        }
        double first = asNumber(key, list.get(0), "a list of numbers");
        for (Object element : list) {
            if (asNumber(key, element, "a list of numbers") != first) {
                throw new ScheduleConfigException(key, "lists different values per parameter group " + list
                        + ", but ds4j trains one parameter group; give one number");
            }
        }
        return Checks.finite(key, first);
    }

    /** A JSON integer, or {@code fallback} when absent or deferred. */
    long integer(String key, long fallback) {
        Object v = value(key);
        if (v == MISSING) {
            return fallback;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        throw typeError(key, v, "an integer (no decimal point)");
    }

    /** A JSON boolean, or {@code fallback} when absent or deferred. */
    boolean bool(String key, boolean fallback) {
        Object v = value(key);
        if (v == MISSING) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw typeError(key, v, "true or false");
    }

    /** A JSON string, or {@code fallback} when absent or deferred. */
    String string(String key, String fallback) {
        Object v = value(key);
        if (v == MISSING) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw typeError(key, v, "a string");
    }

    private static final Object MISSING = new Object();

    private Object value(String key) {
        if (autoKeys.contains(key) || !params.containsKey(key)) {
            return MISSING;
        }
        Object v = params.get(key);
        if (v == null) {
            throw new ScheduleConfigException(key, "is null, which " + type + " does not accept here;"
                    + " give a value or leave the key out for DeepSpeed's default");
        }
        if ("auto".equals(v)) {
            throw new ScheduleConfigException(key, "is \"auto\" and was not resolved;"
                    + " give a value (or let the config loader resolve \"auto\" first)");
        }
        return v;
    }

    private double asNumber(String key, Object v, String expected) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw typeError(key, v, expected);
    }

    private ScheduleConfigException typeError(String key, Object v, String expected) {
        String shown = v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
        String kind = v == null ? "null" : v.getClass().getSimpleName();
        return new ScheduleConfigException(key, "must be " + expected + ", got " + shown + " (" + kind + ")");
    }
}
