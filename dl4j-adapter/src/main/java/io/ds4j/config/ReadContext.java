package io.ds4j.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What reading one document collects besides the values: warnings and the paths whose value is {@code "auto"}. */
final class ReadContext {
    private final List<String> warnings = new ArrayList<>();
    private final Set<String> autoPaths = new LinkedHashSet<>();

    /** Records a warning about the key at {@code path}; printed as {@code warning: <path>: <message>}. */
    void warn(String path, String message) {
        warnings.add((path.isEmpty() ? "$" : path) + ": " + message);
    }

    void auto(String path) {
        autoPaths.add(path);
    }

    List<String> warnings() {
        return Collections.unmodifiableList(new ArrayList<>(warnings));
    }

    Set<String> autoPaths() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(autoPaths));
    }
}
