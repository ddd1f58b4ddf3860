package io.ds4j.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;

/**
 * Dotted JSON paths into a DeepSpeed configuration ({@code optimizer.params.lr}): checking their syntax and writing
 * one value at a path. A path names object keys only; objects missing on the way are created, so that a sweep can
 * switch on a section the base file does not have ({@code fp16.enabled}).
 */
final class JsonPaths {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonPaths() {
    }

    /**
     * @param path a dotted path
     * @return its keys
     * @throws IllegalArgumentException when a key is empty or the path is blank
     */
    static String[] keys(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("a varied key's path is empty; use a dotted JSON path such as"
                    + " optimizer.params.lr");
        }
        String[] keys = path.split("\\.", -1);
        for (String k : keys) {
            if (k.isEmpty()) {
                throw new IllegalArgumentException("'" + path + "' has an empty key; use a dotted JSON path such as"
                        + " optimizer.params.lr");
            }
        }
        return keys;
    }

    /**
     * Writes {@code value} at {@code path}, creating missing objects on the way.
     *
     * @param root the configuration (changed in place)
     * @param path a dotted path
     * @param value a Boolean, Number, String, null, or a Jackson node
     * @throws IllegalArgumentException when a key on the way holds something other than an object
     */
    static void set(ObjectNode root, String path, Object value) {
        String[] keys = keys(path);
        ObjectNode at = root;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode next = at.get(keys[i]);
            if (next == null || next.isNull()) {
                at = at.putObject(keys[i]);
            } else if (next.isObject()) {
                at = (ObjectNode) next;
            } else {
                throw new IllegalArgumentException(path + ": the base config's " + String.join(".",
                        java.util.Arrays.copyOf(keys, i + 1)) + " is " + next.getNodeType().name().toLowerCase(
                        java.util.Locale.ROOT) + " " + next + ", not an object; vary a key inside an object");
            }
        }
        at.set(keys[keys.length - 1], node(value));
    }

    /**
     * @param value a Boolean, Number, String, null, or a Jackson node
     * @return its JSON node; a double that is a whole number within long range stays a double ({@code 2.0})
     */
    static JsonNode node(Object value) {
        if (value == null) {
            return NODES.nullNode();
        } else if (value instanceof JsonNode n) {
            return n;
        } else if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (value instanceof Integer i) {
            return NODES.numberNode(i);
        } else if (value instanceof Long l) {
            return NODES.numberNode(l);
        } else if (value instanceof Double d) {
            return NODES.numberNode(d);
        } else if (value instanceof Float f) {
            return NODES.numberNode(f.doubleValue());
        } else if (value instanceof BigDecimal d) {
            return NODES.numberNode(d);
        } else if (value instanceof String s) {
            return NODES.textNode(s);
        }
        throw new IllegalArgumentException("a value of type " + value.getClass().getName() + " (" + value
                + ") cannot go into a DeepSpeed config; use a number, a boolean, a string or null");
    }
}
