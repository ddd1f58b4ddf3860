package io.ds4j.zero.kernels;

/**
 * A fused CPU optimizer kernel with DeepSpeed's semantics. Immutable and thread-safe: the hyper-parameters are fixed,
 * everything that changes per step is in {@link StepArgs} and the state vectors.
 *
 * <p>Call order: allocate {@link #stateWords()} zero-filled fp32 state vectors per shard, then call {@link #step} once
 * per optimizer step with increasing {@link StepArgs#step()} (an overflowing step is skipped and does not count).
 */
public sealed interface FusedOptimizer permits FusedAdam, FusedSgd, FusedAdagrad, FusedLamb, FusedLion {
    /** DeepSpeed's name of the optimizer, e.g. {@code Adam}. */
    String name();

    /** fp32 state vectors the optimizer keeps per parameter. */
    int stateWords();

    /** One update of all elements of {@code buffers}. */
    void step(OptimizerBuffers buffers, StepArgs args, KernelPool pool);
}
