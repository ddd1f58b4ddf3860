package io.ds4j.sweep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One point of a {@link DeepSpeedConfigSpace}: the base configuration with each varied key set to the value chosen
 * for it. The text is not validated here: the task that trains the candidate parses it, so an invalid combination
 * becomes a failed candidate with the configuration's error, not a failed sweep.
 *
 * @param json   the candidate's DeepSpeed configuration as JSON text
 * @param values each varied path and the value chosen for it, in the order the paths were added
 */
public record ConfigCandidate(String json, Map<String, Object> values) implements java.io.Serializable {
    /** Copies the values, keeping their order. */
    public ConfigCandidate {
        Objects.requireNonNull(json, "json");
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }
}
