package io.ds4j.sweep;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One point of a {@link SweepSpace}: the DeepSpeed configuration, the network and the world size one candidate is
 * trained with.
 *
 * @param config        the candidate's DeepSpeed configuration
 * @param network       what {@link Networks#create} turns into the network: an Arbiter {@code DL4JConfiguration} or
 *                      {@code GraphConfiguration} (from a {@code MultiLayerSpace} or {@code ComputationGraphSpace}),
 *                      a DL4J configuration, or a {@link NetworkFactory}
 * @param worldSize     data-parallel ranks
 * @param worldSizeVaried whether the world size is one of the sweep's varied keys
 */
public record SweepCandidate(ConfigCandidate config, Object network, int worldSize, boolean worldSizeVaried)
        implements java.io.Serializable {
    /** The key under which a varied world size appears in {@link #varied()}. */
    public static final String WORLD_SIZE = "world_size";

    /** Checks the world size. */
    public SweepCandidate {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(network, "network");
        if (worldSize < 1) {
            throw new IllegalArgumentException(WORLD_SIZE + ": " + worldSize + " is not allowed; use at least 1");
        }
    }

    /** @return each varied key and its value: the configuration's paths, then {@value #WORLD_SIZE} if varied */
    public Map<String, Object> varied() {
        Map<String, Object> out = new LinkedHashMap<>(config.values());
        if (worldSizeVaried) {
            out.put(WORLD_SIZE, worldSize);
        }
        return out;
    }
}
