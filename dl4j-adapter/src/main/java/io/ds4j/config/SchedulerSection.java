package io.ds4j.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code scheduler} section: DeepSpeed's schedule {@code type} (e.g. {@code "WarmupDecayLR"}) and its
 * {@code params}, with the value types of {@link OptimizerSection}. {@code "auto"} values stay {@code "auto"}.
 *
 * @param type   the schedule name as written in the file
 * @param params the schedule's parameters
 */
public record SchedulerSection(String type, Map<String, Object> params) {

    /** Copies the params into an unmodifiable, insertion-ordered map. */
    public SchedulerSection {
        if (type == null) {
            throw new IllegalArgumentException("scheduler.type must not be null");
        }
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }
}
