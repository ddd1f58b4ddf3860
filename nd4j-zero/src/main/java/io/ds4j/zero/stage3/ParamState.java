package io.ds4j.zero.stage3;

/** Where a {@link PartitionedParam}'s elements are on this rank (see the package documentation). */
public enum ParamState {
    /** Only this rank's shard exists; the full tensor must be gathered before use. */
    SHARDED,
    /** The full tensor is held in a transient (or, for a persistent parameter, permanent) buffer. */
    GATHERED
}
