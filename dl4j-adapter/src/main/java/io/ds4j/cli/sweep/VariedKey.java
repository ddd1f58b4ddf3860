package io.ds4j.cli.sweep;

import io.ds4j.sweep.DeepSpeedConfigSpace;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;

/**
 * One entry of a sweep file's {@code vary} object: a key and its range, one of
 * {@code {"log_uniform": [min, max]}}, {@code {"uniform": [min, max]}}, {@code {"int": [min, max]}} or
 * {@code {"values": [v1, v2, ...]}}.
 *
 * @param path   a dotted DeepSpeed JSON path, or {@code world_size}
 * @param kind   {@code log_uniform}, {@code uniform}, {@code int} or {@code values}
 * @param values the two bounds (numbers), or the listed values (numbers, booleans, strings)
 */
public record VariedKey(String path, String kind, List<Object> values) {
    /** The range kinds a sweep file may use. */
    public static final List<String> KINDS = List.of("log_uniform", "uniform", "int", "values");

    /** Copies the values. */
    public VariedKey {
        values = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values));
    }

    /** @return whether the key is searched on a log scale */
    public boolean logScale() {
        return "log_uniform".equals(kind);
    }

    /** @return the Arbiter space of the range */
    public ParameterSpace<?> space() {
        return switch (kind) {
            case "log_uniform" -> DeepSpeedConfigSpace.logUniform(number(0), number(1));
            case "uniform" -> new ContinuousParameterSpace(number(0), number(1));
            case "int" -> new IntegerParameterSpace((int) number(0), (int) number(1));
            default -> new DiscreteParameterSpace<>(values);
        };
    }

    /** @return the range as the sweep file wrote it, e.g. {@code log_uniform [1.0E-4, 0.01]} */
    public String describe() {
        return String.format(Locale.ROOT, "%s %s", kind, values);
    }

    private double number(int i) {
        return ((Number) values.get(i)).doubleValue();
    }
}
