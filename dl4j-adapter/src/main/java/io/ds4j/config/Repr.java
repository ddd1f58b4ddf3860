package io.ds4j.config;

import java.util.List;
import java.util.Map;

/** Short JSON-like rendering of a value for error messages, and JSON type names. */
final class Repr {
    private Repr() {
    }

    static String of(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof Map<?, ?>) {
            return "an object {...}";
        }
        if (v instanceof List<?> l) {
            String s = l.toString();
            return s.length() > 60 ? "an array of " + l.size() + " values" : s;
        }
        return String.valueOf(v);
    }

    /** The JSON type of a value: object, array, string, integer, number, boolean, null. */
    static String type(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map<?, ?>) {
            return "object";
        }
        if (v instanceof List<?>) {
            return "array";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        return v instanceof Long ? "integer" : "number";
    }
}
