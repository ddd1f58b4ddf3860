package io.ds4j.zero.offload;

/**
 * Which host memory a {@code "cpu"} store uses. Both live outside ND4J's allocations and give bit-identical results;
 * {@link #HEAP} is the faster one for the kernels (used in place, no staging).
 */
public enum HostMemory {
    /** Java heap {@code float[]}. */
    HEAP,
    /** Off-heap direct {@link java.nio.ByteBuffer}s (what would be pinned with the CUDA backend). */
    DIRECT
}
