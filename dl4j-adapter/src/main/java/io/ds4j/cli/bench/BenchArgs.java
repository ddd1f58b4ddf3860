package io.ds4j.cli.bench;

import io.ds4j.cli.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --key value} options of one bench subcommand, checked against the options it knows; every error is a
 * {@link UsageException} naming the option (exit 2).
 */
final class BenchArgs {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

    private BenchArgs(String command) {
        this.command = command;
    }

    /**
     * @param command the subcommand, for messages (e.g. {@code bench memory})
     * @param args    its arguments
     * @param known   the options it takes, each with a value
     * @return the parsed options
     */
    static BenchArgs parse(String command, List<String> args, Set<String> known) {
        BenchArgs a = new BenchArgs(command);
        for (int i = 0; i < args.size(); i++) {
            String key = args.get(i);
            if (!known.contains(key)) {
                throw new UsageException("unknown option '" + key + "' for " + command + "; known: " + known);
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(key + " needs a value");
            }
            a.values.put(key, args.get(++i));
        }
        return a;
    }

    /** A whole number such as 4000000, 4_000_000, 4e6, 4M or 500k, within [min, max]. */
    long count(String key, long fallback, long min, long max) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        return io.ds4j.cli.WholeNumbers.parse(key, values.get(key), min, max);
    }

    /** A comma-separated list of distinct whole numbers, each as {@link #count} reads one, in ascending order. */
    List<Long> counts(String key, long fallback, long min, long max) {
        if (!values.containsKey(key)) {
            return List.of(fallback);
        }
        List<Long> out = new ArrayList<>();
        for (String item : values.get(key).split(",", -1)) {
            long v = io.ds4j.cli.WholeNumbers.parse(key, item, min, max);
            if (out.contains(v)) {
                throw new UsageException(key + " names " + v + " twice in '" + values.get(key) + "'; give each once");
            }
            out.add(v);
        }
        out.sort(null);
        return List.copyOf(out);
    }

    /** A memory size as the JVM and JavaCPP read it: digits and an optional k, m, g or t (binary units). */
    String size(String key, String fallback) {
        String v = values.getOrDefault(key, fallback).trim().toLowerCase(Locale.ROOT);
        if (!v.matches("[1-9][0-9]*[kmgt]?")) {
            throw new UsageException(key + " must be a size such as 512m or 2g (k, m, g, t: binary units), got '"
                    + values.get(key) + "'");
        }
        return v;
    }

    /** @return {@code size} in bytes */
    static long bytes(String size) {
        char last = size.charAt(size.length() - 1);
        int shift = switch (last) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? size : size.substring(0, size.length() - 1)) << shift;
    }

    /** A comma-separated list whose every item is one of {@code allowed}. */
    List<String> list(String key, List<String> fallback, List<String> allowed) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        List<String> out = new ArrayList<>();
        for (String item : values.get(key).split(",")) {
            String s = item.trim().toLowerCase(Locale.ROOT);
            if (!allowed.contains(s) || out.contains(s)) {
                throw new UsageException(key + " takes a comma-separated list of distinct values from " + allowed
                        + ", got '" + values.get(key) + "'");
            }
            out.add(s);
        }
        return out;
    }

    /** The raw value, or {@code fallback}. */
    String string(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    /** A folder. */
    Path path(String key, String fallback) {
        String v = values.getOrDefault(key, fallback);
        if (v.isBlank()) {
            throw new UsageException(key + " needs a folder, got an empty value");
        }
        return Path.of(v);
    }

    @Override
    public String toString() {
        return command + " " + values;
    }
}
