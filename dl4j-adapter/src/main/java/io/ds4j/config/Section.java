package io.ds4j.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One JSON object of the configuration being read. Each typed getter validates one key, records it as known, and
 * writes the value it settled on (the given value, the default, or {@code "auto"}) into {@link #out()}, the
 * section as {@code validate} prints it. {@link #rejectUnknown()} then turns every key nobody asked for into an
 * error with a "did you mean" hint.
 *
 * <p>{@code "auto"}: in a section read with {@code autoAnywhere} (DeepSpeed's pydantic models, which drop
 * {@code "auto"} values), every key accepts it and the getter returns the default; elsewhere only the keys named by
 * {@link #allowAuto} do. Either way the path is recorded so that callers and {@code validate} keep it as
 * {@code "auto"}.
 */
final class Section {
    /** The reason given for a key that only tunes DeepSpeed's PyTorch runtime. */
    static final String NO_EFFECT = "it tunes DeepSpeed's PyTorch runtime and has no effect in ds4j";
    private final String path;
    private final Map<String, Object> raw;
    private final ReadContext ctx;
    private final boolean autoAnywhere;
    private final Set<String> autoKeys = new LinkedHashSet<>();
    private final Set<String> known = new LinkedHashSet<>();
    private final Map<String, Object> out = new LinkedHashMap<>();

    private Section(String path, Map<String, Object> raw, ReadContext ctx, boolean autoAnywhere) {
        this.path = path;
        this.raw = raw;
        this.ctx = ctx;
        this.autoAnywhere = autoAnywhere;
    }

    /** A section from a raw value: null means absent (empty); anything but an object is an error. */
    @SuppressWarnings("unchecked")
    static Section of(String path, Object value, ReadContext ctx, boolean autoAnywhere) {
        if (value == null) {
            return new Section(path, Map.of(), ctx, autoAnywhere);
        }
        if (!(value instanceof Map<?, ?>)) {
            throw new DeepSpeedConfigException(path, "must be a JSON object {...}, got " + Repr.type(value) + " "
                    + Repr.of(value) + "; write the settings as { \"key\": value, ... }");
        }
        return new Section(path, (Map<String, Object>) value, ctx, autoAnywhere);
    }

    String path() {
        return path;
    }

    String pathOf(String key) {
        return Paths.child(path, key);
    }

    ReadContext context() {
        return ctx;
    }

    Map<String, Object> raw() {
        return raw;
    }

    /** Keys (besides every key of an auto-anywhere section) that may hold {@code "auto"}. */
    Section allowAuto(String... keys) {
        autoKeys.addAll(Arrays.asList(keys));
        return this;
    }

    /** True when the key is in the file (any value, also null or "auto"); marks it as known. */
    boolean present(String key) {
        known.add(key);
        return raw.containsKey(key);
    }

    /** True when the key holds a real value: present, not null, not "auto". */
    boolean given(String key) {
        return present(key) && raw.get(key) != null && !"auto".equals(raw.get(key));
    }

    /** True when the key holds {@code "auto"}. */
    boolean isAuto(String key) {
        return present(key) && "auto".equals(raw.get(key));
    }

    Object value(String key) {
        known.add(key);
        return raw.get(key);
    }

    /** Marks keys as known without reading them (they are read elsewhere or deliberately ignored). */
    void know(String... keys) {
        known.addAll(Arrays.asList(keys));
    }

    /**
     * Marks keys that change nothing in ds4j (they tune a PyTorch runtime DL4J does not have): each one the file
     * gives, with any value but null, gets one warning naming its path and {@code why}. Call after reading the value,
     * so that an invalid value is still an error.
     */
    void inert(String why, String... keys) {
        for (String key : keys) {
            if (present(key) && raw.get(key) != null) {
                ctx.warn(pathOf(key), "accepted but ignored: " + why);
            }
        }
    }

    /** Writes a value into the printed form of this section. */
    void put(String key, Object value) {
        out.put(key, value);
    }

    /** Removes a key from the printed form (a deprecated key printed under its replacement instead). */
    void unprint(String key) {
        out.remove(key);
    }

    /** Copies the key's raw value, if present, into the printed form unchanged. */
    void passthrough(String key) {
        if (present(key)) {
            out.put(key, raw.get(key));
        }
    }

    Map<String, Object> out() {
        return Collections.unmodifiableMap(out);
    }

    /** Handles "auto" for the key; returns true (and prints "auto") when it holds an accepted "auto". */
    private boolean autoValue(String key) {
        if (!isAuto(key)) {
            return false;
        }
        if (!autoAnywhere && !autoKeys.contains(key)) {
            throw error(key, "\"auto\" is not resolvable here (ds4j resolves \"auto\" only where the Hugging Face "
                    + "integration does); give a concrete value");
        }
        ctx.auto(pathOf(key));
        out.put(key, "auto");
        return true;
    }

    boolean bool(String key, boolean def) {
        if (autoValue(key)) {
            return def;
        }
        if (!present(key)) {
            out.put(key, def);
            return def;
        }
        Object v = raw.get(key);
        if (!(v instanceof Boolean b)) {
            throw error(key, "must be true or false, got " + Repr.type(v) + " " + Repr.of(v)
                    + "; write true or false without quotes");
        }
        out.put(key, b);
        return b;
    }

    /** An {@code Optional[bool]}: null when absent, null or "auto". */
    Boolean optionalBool(String key) {
        if (autoValue(key)) {
            return null;
        }
        if (!present(key) || raw.get(key) == null) {
            out.put(key, null);
            return null;
        }
        return bool(key, false);
    }

    long integer(String key, long def, long min, long max) {
        if (autoValue(key)) {
            return def;
        }
        if (!present(key)) {
            out.put(key, def);
            return def;
        }
        long v = toLong(key, raw.get(key), min, max);
        out.put(key, v);
        return v;
    }

    int smallInt(String key, int def, int min, int max) {
        return (int) integer(key, def, min, max);
    }

    long toLong(String key, Object v, long min, long max) {
        long x;
        if (v instanceof Long l) {
            x = l;
        } else if (v instanceof Double d && Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.2e18) {
            x = d.longValue();
        } else if (v instanceof Double d && Double.isFinite(d) && Math.abs(d) >= 9.2e18) {
            throw error(key, "must be " + range(min, max) + ", got " + Repr.of(v) + "; use a value in that range");
        } else if (v instanceof Double d && Double.isFinite(d)) {
            throw error(key, "must be a whole number, got " + Repr.of(v) + "; write an integer such as "
                    + Math.max(min, Math.round(d)));
        } else {
            throw error(key, "must be an integer, got " + Repr.type(v) + " " + Repr.of(v)
                    + "; write a number without quotes, e.g. " + Math.max(min, 1));
        }
        if (x < min || x > max) {
            throw error(key, "must be " + range(min, max) + ", got " + Repr.of(v) + "; use a value in that range");
        }
        return x;
    }

    double number(String key, double def, double min, double max) {
        if (autoValue(key)) {
            return def;
        }
        if (!present(key)) {
            out.put(key, def);
            return def;
        }
        double x = toDouble(key, raw.get(key), min, max);
        out.put(key, raw.get(key));
        return x;
    }

    double toDouble(String key, Object v, double min, double max) {
        if (!(v instanceof Long || v instanceof Double)) {
            throw error(key, "must be a number, got " + Repr.type(v) + " " + Repr.of(v)
                    + "; write a number without quotes");
        }
        double x = ((Number) v).doubleValue();
        if (!(x >= min && x <= max)) {
            throw error(key, "must be a number " + range(min, max) + ", got " + Repr.of(v)
                    + "; use a value in that range");
        }
        return x;
    }

    /** A string (or null where {@code def} is null and the file says null). */
    String string(String key, String def) {
        if (autoValue(key)) {
            return def;
        }
        if (!present(key) || (raw.get(key) == null && def == null)) {
            out.put(key, def);
            return def;
        }
        Object v = raw.get(key);
        if (!(v instanceof String s)) {
            throw error(key, "must be a string, got " + Repr.type(v) + " " + Repr.of(v) + "; quote the value");
        }
        out.put(key, s);
        return s;
    }

    /** One of {@code allowed}, compared case-insensitively; prints the canonical spelling. */
    String choice(String key, String def, List<String> allowed) {
        String s = string(key, def);
        if (s == null || isAuto(key)) {
            return s;
        }
        for (String a : allowed) {
            if (a.equalsIgnoreCase(s)) {
                out.put(key, a);
                return a;
            }
        }
        String hint = DidYouMean.hint(s, allowed);
        throw error(key, "must be one of " + allowed + ", got " + Repr.of(s) + ";"
                + (hint.isEmpty() ? " pick one of them" : hint));
    }

    /** A nested object; absent, null or "auto" (where accepted) read as an empty section. */
    Section child(String key, boolean childAutoAnywhere) {
        if (autoValue(key)) {
            return of(pathOf(key), null, ctx, childAutoAnywhere);
        }
        return of(pathOf(key), value(key), ctx, childAutoAnywhere);
    }

    /**
     * Which of two names of one setting the file uses (DeepSpeed's pydantic alias, e.g. {@code
     * stage3_prefetch_bucket_size} for {@code prefetch_bucket_size}); both at once is an error.
     */
    String aliasOf(String name, String alias) {
        boolean n = present(name);
        boolean a = present(alias);
        if (n && a) {
            throw error(alias, "'" + alias + "' and '" + name + "' name the same setting and both are given; keep "
                    + "only '" + name + "'");
        }
        return a ? alias : name;
    }

    /** Moves the printed value of {@code from} to the key {@code to} (aliases print under the new name). */
    void rename(String from, String to) {
        if (!from.equals(to) && out.containsKey(from)) {
            out.put(to, out.remove(from));
        }
    }

    /** Fails on the first key nobody asked for, suggesting the closest known key. */
    void rejectUnknown() {
        for (String key : raw.keySet()) {
            if (!known.contains(key)) {
                String hint = DidYouMean.hint(key, known);
                throw error(key, "unknown key '" + key + "' in " + (path.isEmpty() ? "the configuration" : path)
                        + ";" + (hint.isEmpty() ? " remove it (known keys: " + known + ")" : hint));
            }
        }
    }

    /** Warns once per key nobody asked for and copies it unchanged into the printed form. */
    void warnUnknown(String why) {
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            if (!known.contains(e.getKey())) {
                String hint = DidYouMean.hint(e.getKey(), known);
                ctx.warn(pathOf(e.getKey()), "unknown key, ignored" + (why.isEmpty() ? "" : " (" + why + ")")
                        + (hint.isEmpty() ? "" : ";" + hint));
                out.put(e.getKey(), e.getValue());
            }
        }
    }

    DeepSpeedConfigException error(String key, String detail) {
        return new DeepSpeedConfigException(pathOf(key), detail);
    }

    private static String range(double min, double max) {
        if (max == Double.MAX_VALUE || max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                || Double.isInfinite(max)) {
            return ">= " + fmt(min);
        }
        if (min == -Double.MAX_VALUE || min == Long.MIN_VALUE || Double.isInfinite(min)) {
            return "<= " + fmt(max);
        }
        return "in [" + fmt(min) + ", " + fmt(max) + "]";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d)
                : String.valueOf(d).toLowerCase(Locale.ROOT);
    }
}
