package io.ds4j.zero.ledger;

/** What a rank's bytes are for (see the package documentation). */
public enum MemoryCategory {
    /** Parameters the network computes with (the compute copy). */
    PARAMETERS(true),
    /** Gradients (full or the own shard, depending on the stage). */
    GRADIENTS(true),
    /** Optimizer state: momentum, variance, accumulators. */
    OPTIMIZER_STATE(true),
    /** The fp32 master copy of the parameters when the compute copy is 16-bit. */
    MASTER_WEIGHTS(true),
    /** Buffers for collectives (buckets, gather targets). */
    COMM_BUFFERS(false),
    /** Staging buffers of offload (pinned transfer buffers, NVMe read-ahead/write-behind). */
    OFFLOAD_BUFFERS(false),
    /** Anything else worth accounting. */
    OTHER(false);

    private final boolean modelState;

    MemoryCategory(boolean modelState) {
        this.modelState = modelState;
    }

    /** Whether the ZeRO paper counts it as a model state. */
    public boolean isModelState() {
        return modelState;
    }
}
