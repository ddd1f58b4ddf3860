package io.ds4j.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code optimizer} section: DeepSpeed's optimizer {@code type} as written (e.g. {@code "AdamW"}) and its
 * {@code params} as validated. Param values are {@code Long} for integral JSON numbers, {@code Double} otherwise,
 * {@code Boolean}, {@code String} (including {@code "auto"}, resolved later from the network's updater) or
 * {@code List<Object>}; the map is unmodifiable and keeps the file's order.
 *
 * @param type   the optimizer name as written in the file
 * @param params the optimizer's keyword arguments
 */
public record OptimizerSection(String type, Map<String, Object> params) {

    /** Copies the params into an unmodifiable, insertion-ordered map. */
    public OptimizerSection {
        if (type == null) {
            throw new IllegalArgumentException("optimizer.type must not be null");
        }
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }
}
