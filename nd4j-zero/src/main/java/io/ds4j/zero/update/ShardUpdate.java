package io.ds4j.zero.update;

import io.ds4j.zero.kernels.KernelPool;

/**
 * The update of one rank's shard by a DeepSpeed-semantics optimizer (an {@code optimizer} section), wherever its fp32
 * master and optimizer state live: in arrays next to the network ({@link ResidentShardUpdate}, no offload) or in an
 * optimizer store on the host or on disk ({@link OffloadedShardUpdate}, {@code offload_optimizer}). Both read the
 * shard's averaged gradient from the replica's gradient view and leave the updated parameters in its parameter view.
 */
public interface ShardUpdate extends AutoCloseable {

    /**
     * One optimizer step.
     *
     * @param iteration DL4J's iteration count (updates so far, from 0); DeepSpeed's step is {@code iteration + 1}
     * @param gradMultiplier DeepSpeed's {@code 1 / combined_scale} (clipping)
     * @param pool the kernel's threads
     */
    void apply(int iteration, double gradMultiplier, KernelPool pool);

    /** @return optimizer state elements held on the device (0 when offloaded) */
    long stateElements();

    /** @return elements of device-side copies the step keeps besides the network's views (master and gradient) */
    long stagingElements();

    /** Releases what the step holds (offload: host memory and nvme files); idempotent. */
    @Override
    void close();
}
