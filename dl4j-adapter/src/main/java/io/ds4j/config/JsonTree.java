package io.ds4j.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON text into plain Java values, keeping key order: objects become {@code Map<String,Object>}, arrays
 * {@code List<Object>}, integral numbers {@code Long} (beyond the long range: {@code Double}), other numbers
 * {@code Double}, and JSON {@code null} becomes {@code null}. Line ({@code //}, {@code #}) and block comments are
 * skipped (DeepSpeed reads files with hjson, which allows them); otherwise the text must be strict JSON (no trailing
 * commas, no unquoted keys). Duplicate keys are rejected with their JSON path
 * (DeepSpeed rejects them too); syntax errors name the line and column.
 */
final class JsonTree {
    /** Comments are allowed because DeepSpeed reads config files with hjson, which accepts them. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonReadFeature.ALLOW_YAML_COMMENTS)
            .build();

    private JsonTree() {
    }

    /** Parses a whole document; the root must be an object. */
    static Map<String, Object> parseObject(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new DeepSpeedConfigException("", "the configuration must be a JSON object {...}, found "
                        + (first == null ? "an empty document" : first.asString() == null ? first : first.asString())
                        + "; wrap the settings in { }");
            }
            Map<String, Object> root = readObject(p, "");
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                throw syntax("unexpected content after the closing '}'", p.currentTokenLocation(), null);
            }
            return root;
        } catch (JsonProcessingException e) {
            throw syntax(e.getOriginalMessage(), e.getLocation(), e);
        } catch (IOException e) {
            throw new DeepSpeedConfigException("", "cannot read the JSON text: " + e.getMessage(), e);
        }
    }

    /**
     * Writes a tree of maps, collections, strings, numbers, booleans and nulls (what the readers print) as indented
     * JSON with jackson-core's generator alone: databind's {@code ObjectMapper} loads some 480 classes and allocates
     * about 15 MB of heap the first time, in every trainer's JVM (each in-process run prints its config).
     *
     * @param root the tree
     * @return its JSON text
     */
    static String write(Map<String, ?> root) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out).useDefaultPrettyPrinter()) {
            writeValue(g, root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot print the configuration as JSON", e);
        }
        return out.toString();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) {
                writeValue(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof String || v instanceof Enum<?>) {
            g.writeString(v instanceof Enum<?> e ? e.name() : (String) v);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).intValue());
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof BigDecimal b) {
            g.writeNumber(b);
        } else {
            throw new IllegalStateException("cannot print a " + v.getClass().getName() + " as configuration JSON");
        }
    }

    private static DeepSpeedConfigException syntax(String what, JsonLocation at, Throwable cause) {
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        String first = what == null ? "syntax error" : what.lines().findFirst().orElse(what);
        return new DeepSpeedConfigException("", "malformed JSON" + where + ": " + first
                + "; fix the JSON syntax (a JSON linter shows the exact spot)", cause);
    }

    private static Map<String, Object> readObject(JsonParser p, String path) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            String child = Paths.child(path, key);
            if (map.containsKey(key)) {
                JsonLocation at = p.currentTokenLocation();
                throw new DeepSpeedConfigException(child, "duplicate key '" + key + "' (line " + at.getLineNr()
                        + ", column " + at.getColumnNr() + "); keep only one of the entries");
            }
            p.nextToken();
            map.put(key, readValue(p, child));
        }
        return Collections.unmodifiableMap(map);
    }

    private static Object readValue(JsonParser p, String path) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT:
                return readObject(p, path);
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                int i = 0;
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    list.add(readValue(p, path + "[" + i++ + "]"));
                }
                return Collections.unmodifiableList(list);
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT: {
                BigInteger big = p.getBigIntegerValue();
                return big.bitLength() < 64 ? (Object) big.longValue() : (Object) big.doubleValue();
            }
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw syntax("unexpected token " + p.currentToken(), p.currentTokenLocation(), null);
        }
    }
}
