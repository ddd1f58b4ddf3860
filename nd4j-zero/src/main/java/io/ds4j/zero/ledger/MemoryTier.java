package io.ds4j.zero.ledger;

/** Where bytes live. */
public enum MemoryTier {
    /** Accelerator memory, or ND4J's own allocations on the CPU backend. */
    DEVICE,
    /** Host memory outside ND4J's device allocations (Java heap, direct or pinned buffers). */
    HOST,
    /** Files (NVMe offload). */
    DISK
}
