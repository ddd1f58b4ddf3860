package io.ds4j.cli.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads one {@code vary} entry of a sweep file into a {@link VariedKey}, checking its range. */
final class VariedKeys {
    private VariedKeys() {
    }

    /**
     * @param path the varied key
     * @param node its range object
     * @return the key
     * @throws IllegalArgumentException naming {@code vary.<path>} when the range is malformed
     */
    static VariedKey parse(String path, JsonNode node) {
        String at = "vary." + path;
        if (!node.isObject() || node.size() != 1) {
            throw new IllegalArgumentException(at + ": " + node + " is not a range; use one of {\"log_uniform\":"
                    + " [min, max]}, {\"uniform\": [min, max]}, {\"int\": [min, max]}, {\"values\": [...]}");
        }
        String kind = node.fieldNames().next();
        if (!VariedKey.KINDS.contains(kind)) {
            throw new IllegalArgumentException(at + "." + kind + ": is not a range kind; use one of "
                    + VariedKey.KINDS);
        }
        JsonNode v = node.get(kind);
        String where = at + "." + kind;
        if (!v.isArray() || v.isEmpty()) {
            throw new IllegalArgumentException(where + ": " + v + " is not allowed; use a non-empty array");
        }
        List<Object> values = "values".equals(kind) ? scalars(v, where) : bounds(kind, v, where);
        if (SweepFileReader.WORLD_SIZE.equals(path)) {
            checkWorldSizes(kind, values, where);
        }
        return new VariedKey(path, kind, values);
    }

    private static List<Object> bounds(String kind, JsonNode v, String where) {
        if (v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
            throw new IllegalArgumentException(where + ": " + v + " is not allowed; use [min, max], two numbers");
        }
        double min = v.get(0).asDouble();
        double max = v.get(1).asDouble();
        if ("int".equals(kind)) {
            if (!v.get(0).isIntegralNumber() || !v.get(1).isIntegralNumber() || !v.get(0).canConvertToInt()
                    || !v.get(1).canConvertToInt() || min > max) {
                throw new IllegalArgumentException(where + ": " + v + " is not allowed; use [min, max], whole"
                        + " numbers with min <= max");
            }
            return List.of(v.get(0).asInt(), v.get(1).asInt());
        }
        if (!(min < max) || ("log_uniform".equals(kind) && !(min > 0))) {
            throw new IllegalArgumentException(where + ": " + v + " is not allowed; use [min, max] with min < max"
                    + ("log_uniform".equals(kind) ? " and min > 0" : ""));
        }
        return List.of(min, max);
    }

    private static List<Object> scalars(JsonNode v, String where) {
        List<Object> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (e.isIntegralNumber() && e.canConvertToInt()) {
                out.add(e.asInt());
            } else if (e.isIntegralNumber() && e.canConvertToLong()) {
                out.add(e.asLong());
            } else if (e.isNumber()) {
                out.add(e.asDouble());
            } else if (e.isBoolean()) {
                out.add(e.asBoolean());
            } else if (e.isTextual()) {
                out.add(e.asText());
            } else {
                throw new IllegalArgumentException(where + ": " + e + " is not allowed; list numbers, booleans or"
                        + " strings");
            }
        }
        return out;
    }

    private static void checkWorldSizes(String kind, List<Object> values, String where) {
        if (!"int".equals(kind) && !"values".equals(kind)) {
            throw new IllegalArgumentException(where + ": world_size takes whole numbers; use {\"values\": [1, 2]}"
                    + " or {\"int\": [1, 4]}");
        }
        for (Object o : values) {
            if (!(o instanceof Integer i) || i < 1) {
                throw new IllegalArgumentException(where + ": world_size " + o + " is not allowed; use whole"
                        + " numbers >= 1");
            }
        }
    }
}
