package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.ZeroBucketConfig;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/**
 * The communication of one ZeRO optimizer step for one rank, one type per stage.
 *
 * <h2>Call order (every rank, in lockstep)</h2>
 * For each of the {@code gradient_accumulation_steps} micro-batches: {@link #accumulate(float[])} with the rank's
 * local gradient. Then {@link #reduce()}: the gradient for {@link #updateRange()}, averaged over ranks. A step of one
 * micro-batch may instead call {@link #reduceInPlace} alone, which needs no full-size buffer of the step's own. The
 * caller updates the parameters of {@link #updateRange()} (clipping and the optimizer), then calls
 * {@link #gather(float[])} so that every rank holds every updated parameter. Then the next step begins.
 *
 * <h2>The stages</h2>
 * <ul>
 *   <li>{@link Stage0Step}: local gradients are accumulated at full size and all-reduced in
 *       {@code reduce_bucket_size} chunks; every rank updates the whole vector, nothing is gathered.</li>
 *   <li>{@link Stage1Step}: accumulated at full size locally, reduce-scattered once per step in
 *       {@code reduce_bucket_size} buckets; a rank updates (and keeps optimizer state for) only its shard; the
 *       updated shards are all-gathered in {@code allgather_bucket_size} buckets.</li>
 *   <li>{@link Stage2Step}: every micro-batch's gradient is reduce-scattered in {@code reduce_bucket_size} buckets
 *       and accumulated into a shard-sized buffer: a rank never keeps a full-size reduced or accumulated gradient.
 *       Gathering as in stage 1.</li>
 * </ul>
 * Per step and {@code gradient_accumulation_steps = 1} every stage moves 2Ψ elements (ring volume) per rank for Ψ
 * parameters: an all-reduce is a reduce-scatter plus an all-gather (ZeRO paper, section 7). Stage 2 with accumulation
 * reduce-scatters every micro-batch, as DeepSpeed does.
 *
 * <p>Arrays handed to {@code accumulate} and {@code gather} have {@link ShardLayout#paddedLength()} elements; the
 * padding is ignored on input and zero on output.
 */
public sealed interface ZeroStep permits FullGradientStep, Stage2Step {

    /** @return the flat range (real elements only) this rank updates */
    Range updateRange();

    /**
     * Adds one micro-batch's local gradient.
     *
     * @param localGradient the rank's gradient, {@code paddedLength} elements; not modified
     */
    void accumulate(float[] localGradient);

    /**
     * {@link #accumulate(float[])} from a buffer that holds the rank's {@code length} real elements at absolute
     * indices {@code [0, length)} (e.g. DL4J's flat gradient view), so that stages 0 and 1 need no padded copy of it.
     *
     * @param localGradient the rank's gradient; not modified, its position not used
     */
    void accumulate(java.nio.FloatBuffer localGradient);

    /**
     * A step of one micro-batch ({@code gradient_accumulation_steps} 1) without an accumulator, as DeepSpeed reduces
     * the backward's own gradient: the rank's gradient is reduced in its own buffer, bucket by bucket through a buffer
     * of at most {@code reduce_bucket_size} elements. On return the buffer's elements of {@link #updateRange()} hold
     * the mean over ranks, bit for bit what {@link #reduce()} gives after one {@link #accumulate} of the same gradient;
     * its other elements are unchanged. Not between {@code accumulate} and {@code reduce}.
     *
     * @param gradient the rank's gradient, its {@code length} real elements at absolute indices {@code [0, length)}
     *                 (e.g. DL4J's flat gradient view); its position not used
     */
    void reduceInPlace(java.nio.FloatBuffer gradient);

    /**
     * Reduces the accumulated gradients over ranks and starts a new accumulation.
     *
     * @return the mean over ranks for {@link #updateRange()}
     */
    ReducedGradient reduce();

    /**
     * Distributes the updated parameters: on entry {@code params} holds this rank's updated {@link #updateRange()},
     * on return every rank's.
     *
     * @param params the flat parameters, {@code paddedLength} elements
     */
    void gather(float[] params);

    /**
     * The step's own gradient buffer, idle once the caller has read the {@link ReducedGradient} of {@link #reduce()}
     * and until the next {@code accumulate}: staging for a gather that writes straight into the caller's parameters.
     *
     * @return the buffer (stages 0-1: the staging bucket), or null when the step holds none (stage 2 reduced by
     *         {@link GradientBuckets})
     */
    float[] idleBuffer();

    /** @return elements of the gradient buffers this step holds now, from their lengths (for the ledger) */
    long bufferElements();

    /** @return elements of the buffers among {@link #bufferElements()} that only stage communication (buckets) */
    long bucketElements();

    /**
     * Creates the step of a stage.
     *
     * @param stage {@code zero_optimization.stage}, 0, 1 or 2
     * @param comm this rank's collectives
     * @param layout the sharding of the flat vector, {@code worldSize} equal to the collectives'
     * @param buckets {@code reduce_bucket_size} and {@code allgather_bucket_size}
     * @param scaling {@code prescale_gradients} and {@code gradient_predivide_factor}
     * @return the step
     */
    static ZeroStep create(int stage, Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        if (layout.worldSize() != comm.worldSize()) {
            throw new IllegalArgumentException("layout world size " + layout.worldSize()
                    + " differs from the collectives' world size " + comm.worldSize());
        }
        if (layout.paddedLength() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("flat vector of " + layout.paddedLength()
                    + " elements exceeds a Java array; models above 2^31 parameters need stage 3 (not supported)");
        }
        return switch (stage) {
            case 0 -> new Stage0Step(comm, layout, buckets, scaling);
            case 1 -> new Stage1Step(comm, layout, buckets, scaling);
            case 2 -> new Stage2Step(comm, layout, buckets, scaling);
            default -> throw new IllegalArgumentException("zero_optimization.stage: " + stage
                    + " has no sharded step here; use 0, 1 or 2");
        };
    }

    /**
     * Bucket sizes in elements over all ranks.
     *
     * @param reduceBucketSize {@code reduce_bucket_size}, at least 1
     * @param allgatherBucketSize {@code allgather_bucket_size}, at least 1
     */
    record Buckets(long reduceBucketSize, long allgatherBucketSize) {
        /** Validates both sizes. */
        public Buckets {
            ZeroBucketConfig.requireBucketSize("reduce_bucket_size", reduceBucketSize);
            ZeroBucketConfig.requireBucketSize("allgather_bucket_size", allgatherBucketSize);
        }
    }
}
