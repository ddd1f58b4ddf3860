package io.ds4j.sweep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;

/**
 * The whole search space of a ds4j sweep, an Arbiter {@link ParameterSpace} of {@link SweepCandidate}s: a
 * {@link DeepSpeedConfigSpace}, the network (searched with a {@code MultiLayerSpace} or {@code ComputationGraphSpace},
 * or fixed by a {@link NetworkFactory}) and the world size (fixed, or searched with an integer or discrete space).
 * Give it to an Arbiter candidate generator and train its candidates with {@link ZeroTrainerTaskCreator}.
 *
 * <pre>{@code
 * SweepSpace space = SweepSpace.builder(configSpace).network(multiLayerSpace).worldSize(2).build();
 * CandidateGenerator grid = new GridSearchCandidateGenerator(space, 3, Mode.Sequential, null);
 * }</pre>
 *
 * <p>Leaves, in order: the configuration's varied keys, then the network space's, then the world size's.
 */
public final class SweepSpace implements ParameterSpace<SweepCandidate> {
    private final DeepSpeedConfigSpace config;
    private final ParameterSpace<?> networkSpace; // null with a factory
    private final NetworkFactory factory;
    private final ParameterSpace<Integer> worldSizeSpace; // null when fixed
    private final int worldSize;

    private SweepSpace(Builder b) {
        this.config = b.config;
        this.networkSpace = b.networkSpace;
        this.factory = b.factory;
        this.worldSizeSpace = b.worldSizeSpace;
        this.worldSize = b.worldSize;
    }

    /**
     * @param config the DeepSpeed configurations to search
     * @return a builder; a network must be given
     */
    public static Builder builder(DeepSpeedConfigSpace config) {
        return new Builder(Objects.requireNonNull(config, "config"));
    }

    /** @return the DeepSpeed configuration space */
    public DeepSpeedConfigSpace config() {
        return config;
    }

    @Override
    public SweepCandidate getValue(double[] parameterValues) {
        Object network = networkSpace != null ? networkSpace.getValue(parameterValues) : factory;
        int w = worldSizeSpace != null ? worldSizeSpace.getValue(parameterValues) : worldSize;
        return new SweepCandidate(config.getValue(parameterValues), network, w, worldSizeSpace != null);
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
        List<ParameterSpace> leaves = new ArrayList<>(config.collectLeaves());
        if (networkSpace != null) {
            leaves.addAll(networkSpace.collectLeaves());
        }
        if (worldSizeSpace != null) {
            leaves.addAll(worldSizeSpace.collectLeaves());
        }
        return leaves;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Map<String, ParameterSpace> getNestedSpaces() {
        Map<String, ParameterSpace> m = new LinkedHashMap<>();
        m.put("config", config);
        if (networkSpace != null) {
            m.put("network", networkSpace);
        }
        if (worldSizeSpace != null) {
            m.put(SweepCandidate.WORLD_SIZE, worldSizeSpace);
        }
        return Collections.unmodifiableMap(m);
    }

    @Override
    public boolean isLeaf() {
        return false;
    }

    /** Not a leaf: Arbiter sets the indices of the leaves inside it. */
    @Override
    public void setIndices(int... indices) {
        throw new UnsupportedOperationException("SweepSpace is not a leaf; Arbiter sets the indices of its leaves");
    }

    @Override
    public String toString() {
        return "SweepSpace(config=" + config + ", network=" + (networkSpace != null ? networkSpace : "fixed")
                + ", world_size=" + (worldSizeSpace != null ? worldSizeSpace : worldSize) + ")";
    }

    /** Sets the network and the world size. */
    public static final class Builder {
        private final DeepSpeedConfigSpace config;
        private ParameterSpace<?> networkSpace;
        private NetworkFactory factory;
        private ParameterSpace<Integer> worldSizeSpace;
        private int worldSize = 1;

        private Builder(DeepSpeedConfigSpace config) {
            this.config = config;
        }

        /**
         * @param space a {@code MultiLayerSpace}, a {@code ComputationGraphSpace}, or any space whose values
         *              {@link Networks#create} accepts
         * @return this
         */
        public Builder network(ParameterSpace<?> space) {
            this.networkSpace = Objects.requireNonNull(space, "space");
            this.factory = null;
            return this;
        }

        /** @param f makes the same (not searched) network for every candidate @return this */
        public Builder network(NetworkFactory f) {
            this.factory = Objects.requireNonNull(f, "factory");
            this.networkSpace = null;
            return this;
        }

        /** @param n ranks for every candidate, at least 1 (default 1) @return this */
        public Builder worldSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("world_size: " + n + " is not allowed; use at least 1");
            }
            this.worldSize = n;
            this.worldSizeSpace = null;
            return this;
        }

        /** @param space searched ranks, e.g. {@code new DiscreteParameterSpace<>(1, 2, 4)} @return this */
        public Builder worldSize(ParameterSpace<Integer> space) {
            this.worldSizeSpace = SingleValues.fixedIfSingle(Objects.requireNonNull(space, "space"));
            return this;
        }

        /**
         * @return the space
         * @throws IllegalStateException when no network was given
         */
        public SweepSpace build() {
            if (networkSpace == null && factory == null) {
                throw new IllegalStateException("a sweep needs a network; call network(space) or network(factory)");
            }
            return new SweepSpace(this);
        }
    }
}
