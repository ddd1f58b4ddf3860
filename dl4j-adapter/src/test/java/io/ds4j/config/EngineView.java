package io.ds4j.config;

import io.ds4j.dl4j.monitor.CsvMonitorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a configuration hands to the code that trains: the typed sections, reduced to the values of their records'
 * zero-argument public methods (components and derived values such as {@code Fp16Config.initialScale()}) that main
 * code outside the reader ({@code io.ds4j.config}) and outside the record's own file calls. Two
 * configurations with equal views train alike, so a key whose every value leaves the view unchanged has no effect.
 * The accessor scan is by name, so a component counts as read when any main class calls a method of that name (it
 * errs towards "read").
 */
final class EngineView {
    private static final Set<String> OBJECT_METHODS = Set.of("toString", "hashCode");
    private static final Map<String, Boolean> READ = new HashMap<>();
    private static List<Path> mainSources;

    private EngineView() {
    }

    /** The view of a configuration at world size 2 (an unresolvable triad is part of the view as its error path). */
    static List<Object> of(DeepSpeedConfig c) {
        List<Object> v = new ArrayList<>();
        for (Object section : List.of(c.zero(), c.fp16(), c.bf16(), c.optimizer(), c.scheduler(), c.options(),
                CsvMonitorConfig.from(c, 2), io.ds4j.dl4j.checkpoint.CheckpointConfig.from(c, 2))) {
            v.add(reduce(section));
        }
        v.add(reduce(CsvMonitorConfig.from(c, 2)));

        try {
            v.add(reduce(c.resolve(2)));
        } catch (DeepSpeedConfigException e) {
            v.add("refused at " + e.path());
        }
        return v;
    }

    /** A record as the values of its zero-argument public methods (components and derived values) read in main. */
    private static Object reduce(Object o) {
        if (o == null || !o.getClass().isRecord()) {
            return o;
        }
        Map<String, Object> kept = new TreeMap<>();
        for (Method m : o.getClass().getDeclaredMethods()) {
            boolean plain = Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                    && m.getParameterCount() == 0 && !OBJECT_METHODS.contains(m.getName());
            if (plain && isRead(o.getClass(), m.getName())) {
                try {
                    kept.put(m.getName(), reduce(m.invoke(o)));
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot call " + m, e);
                }
            }
        }
        return o.getClass().getSimpleName() + kept;
    }

    /** True when some main source outside the reader and the record's own file calls {@code .name()}. */
    static synchronized boolean isRead(Class<?> record, String name) {
        return READ.computeIfAbsent(record.getName() + "#" + name, k -> scan(record, name));
    }

    private static boolean scan(Class<?> record, String name) {
        String call = "." + name + "()";
        for (Path p : sources()) {
            String s = p.toString();
            if (s.contains("/io/ds4j/config/") || s.endsWith("/" + record.getSimpleName() + ".java")) {
                continue;
            }
            try {
                if (Files.readString(p).contains(call)) {
                    return true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return false;
    }

    private static List<Path> sources() {
        if (mainSources == null) {
            try (Stream<Path> s = Files.walk(RepoFiles.root())) {
                mainSources = s.filter(p -> p.toString().endsWith(".java"))
                        .filter(p -> p.toString().contains("/src/main/java/")).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return mainSources;
    }
}
