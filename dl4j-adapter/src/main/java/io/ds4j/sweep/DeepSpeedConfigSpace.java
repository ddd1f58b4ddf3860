package io.ds4j.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;

/**
 * An Arbiter {@link ParameterSpace} over DeepSpeed configurations: a base {@code ds_config.json} and, for each varied
 * key, a dotted JSON path and the Arbiter space its value comes from. A value is a {@link ConfigCandidate}: the base
 * with every varied key set.
 *
 * <pre>{@code
 * DeepSpeedConfigSpace space = DeepSpeedConfigSpace.builder(Files.readString(base))
 *         .vary("optimizer.params.lr", DeepSpeedConfigSpace.logUniform(1e-4, 1e-2))
 *         .vary("scheduler.params.warmup_num_steps", new IntegerParameterSpace(0, 100))
 *         .vary("zero_optimization.stage", new DiscreteParameterSpace<>(1, 2, 3))
 *         .build();
 * }</pre>
 *
 * <p>The leaves are the varied keys' spaces, in the order they were added; Arbiter's generators assign their
 * indices. Whether a combination is a valid DeepSpeed configuration is decided when the candidate is trained
 * ({@link ZeroTrainerTaskCreator}), not here.
 */
public final class DeepSpeedConfigSpace implements ParameterSpace<ConfigCandidate> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ObjectNode base;
    private final Map<String, ParameterSpace<?>> varied;

    private DeepSpeedConfigSpace(ObjectNode base, Map<String, ParameterSpace<?>> varied) {
        this.base = base;
        this.varied = varied;
    }

    /**
     * @param baseJson the base DeepSpeed configuration (a JSON object)
     * @return a builder
     * @throws IllegalArgumentException when the text is not a JSON object
     */
    public static Builder builder(String baseJson) {
        JsonNode root;
        try {
            root = JSON.readTree(baseJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the base config is not JSON: " + e.getOriginalMessage()
                    + "; check the file", e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the base config is not a JSON object; give a ds_config.json");
        }
        return new Builder((ObjectNode) root);
    }

    /**
     * A continuous space whose logarithm is uniform, as learning rates are searched; on a grid its points are
     * evenly spaced in log space.
     *
     * @param min the smallest value, above 0
     * @param max the largest value, above {@code min}
     * @return the space
     */
    public static ContinuousParameterSpace logUniform(double min, double max) {
        if (!(min > 0) || !(max > min)) {
            throw new IllegalArgumentException("log-uniform [" + min + ", " + max + "] is not allowed; use"
                    + " 0 < min < max");
        }
        return new ContinuousParameterSpace(new LogUniformDistribution(min, max));
    }

    /** @return the varied paths, in order */
    public List<String> variedPaths() {
        return List.copyOf(varied.keySet());
    }

    @Override
    public ConfigCandidate getValue(double[] parameterValues) {
        ObjectNode json = base.deepCopy();
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, ParameterSpace<?>> e : varied.entrySet()) {
            Object v = e.getValue().getValue(parameterValues);
            JsonPaths.set(json, e.getKey(), v);
            values.put(e.getKey(), v);
        }
        try {
            return new ConfigCandidate(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json), values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that was read could not be written", e);
        }
    }

    @Override
    public int numParameters() {
        int n = 0;
        for (ParameterSpace<?> p : collectLeaves()) {
            n += p.numParameters();
        }
        return n;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List<ParameterSpace> collectLeaves() {
        List<ParameterSpace> leaves = new ArrayList<>();
        for (ParameterSpace<?> p : varied.values()) {
            leaves.addAll(p.collectLeaves());
        }
        return leaves;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Map<String, ParameterSpace> getNestedSpaces() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(varied));
    }

    @Override
    public boolean isLeaf() {
        return false;
    }

    /** Not a leaf: Arbiter sets the indices of the varied keys' spaces, not of this one. */
    @Override
    public void setIndices(int... indices) {
        throw new UnsupportedOperationException("DeepSpeedConfigSpace is not a leaf; Arbiter sets the indices of"
                + " its varied keys' spaces");
    }

    @Override
    public String toString() {
        return "DeepSpeedConfigSpace" + varied;
    }

    /** Collects the varied keys. */
    public static final class Builder {
        private final ObjectNode base;
        private final Map<String, ParameterSpace<?>> varied = new LinkedHashMap<>();

        private Builder(ObjectNode base) {
            this.base = base;
        }

        /**
         * @param path  a dotted JSON path, e.g. {@code optimizer.params.lr}
         * @param space where its values come from (continuous, integer, discrete...); a space of one value becomes
         *              Arbiter's {@code FixedValue} ({@link SingleValues} says why)
         * @return this
         * @throws IllegalArgumentException when the path is malformed or already varied
         */
        public Builder vary(String path, ParameterSpace<?> space) {
            JsonPaths.keys(path);
            Objects.requireNonNull(space, "space");
            if (varied.containsKey(path)) {
                throw new IllegalArgumentException(path + " is varied twice; give each key one space");
            }
            varied.put(path, SingleValues.fixedIfSingle(space));
            return this;
        }

        /** @return the space (with no varied key, every candidate is the base configuration) */
        public DeepSpeedConfigSpace build() {
            return new DeepSpeedConfigSpace(base.deepCopy(), Collections.unmodifiableMap(new LinkedHashMap<>(varied)));
        }
    }
}
