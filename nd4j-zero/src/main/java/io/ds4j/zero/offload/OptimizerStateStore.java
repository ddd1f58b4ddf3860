package io.ds4j.zero.offload;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.VectorStorage;

/**
 * One rank's fp32 master shard and optimizer state, wherever they live, and the optimizer step over them.
 *
 * <p>Call order: create (via {@link OptimizerStores#open}); {@link #initialize} once with the shard's initial
 * parameters (or {@link #restore} with a checkpoint's master and state); {@link #step} once per (non-skipped) optimizer
 * step; {@link #readMaster}/{@link #readState} at any point between steps (checkpoints, tests); {@link #close()} at the
 * end, which releases memory, deletes files and returns the ledger entries. A step that throws leaves the store
 * <b>FAILED</b> (part of the shard may be updated): every later call except {@code close()} throws.
 */
public sealed interface OptimizerStateStore extends AutoCloseable
        permits ResidentStore, NvmeStore, PartialOffloadStore {

    /** Where the state lives ({@code none} means on the device). */
    OffloadDevice device();

    /** Elements of the shard. */
    long length();

    /** fp32 state vectors per element. */
    int stateWords();

    /**
     * Sets the master to {@code params} (read as fp32) and zeroes the optimizer state.
     *
     * @param params the shard's initial parameters, {@link #length()} elements
     */
    void initialize(VectorStorage params);

    /**
     * Sets the master and every optimizer state vector, as {@link #initialize} does but with the state given (the
     * load of a checkpoint). May be called instead of or after {@link #initialize}, between steps.
     *
     * @param master the shard's fp32 master, {@link #length()} elements
     * @param state  {@link #stateWords()} vectors of {@link #length()} elements each
     */
    void restore(VectorStorage master, java.util.List<? extends VectorStorage> state);

    /**
     * One optimizer step over the whole shard, sub-group by sub-group.
     *
     * @param optimizer the kernel; its {@code stateWords()} must equal {@link #stateWords()}
     * @param input     gradients, step arguments, compute copy (all {@link #length()} elements)
     * @param pool      threads for the kernel
     */
    void step(FusedOptimizer optimizer, StepInput input, KernelPool pool);

    /** Copies the master into {@code dst[offset, offset + length())}. */
    void readMaster(float[] dst, int offset);

    /** Copies state vector {@code word} into {@code dst[offset, offset + length())}. */
    void readState(int word, float[] dst, int offset);

    /** Releases memory and files; idempotent. */
    @Override
    void close();
}
