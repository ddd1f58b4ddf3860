package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/**
 * Stage 2, gradient partitioning: each micro-batch's local gradient is reduce-scattered bucket by bucket and added to
 * a shard-sized accumulator, so no full-size reduced or accumulated gradient exists; the own shard is updated and the
 * shards all-gathered. {@link #accumulate} takes a full-size local gradient; a caller that produces the gradient piece
 * by piece (layer by layer) reduces it with {@link GradientBuckets} instead and uses this step only to gather, and
 * then this step allocates no gradient buffer at all.
 */
public final class Stage2Step implements ZeroStep {

    private final Collectives comm;
    private final ShardLayout layout;
    private final Buckets buckets;
    private final ReductionScaling scaling;
    private float[] accumulated; // allocated by the first accumulate (unused when a GradientBuckets reduces)
    private float[] received;    // allocated by the second micro-batch of a step
    private float[] local;       // a padded copy for accumulate(FloatBuffer)
    private float[] staging;     // the bucket of reduceInPlace, allocated by its first call
    private boolean empty = true;

    Stage2Step(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        this.comm = comm;
        this.layout = layout;
        this.buckets = buckets;
        this.scaling = scaling;
    }

    @Override
    public Range updateRange() {
        return layout.ownedRange(comm.rank());
    }

    @Override
    public void accumulate(float[] localGradient) {
        StepSupport.checkLength(localGradient, layout, "local gradient");
        double before = scaling.beforeSum(comm.worldSize());
        float[] input = localGradient;
        if (before != 1.0) {
            input = localGradient.clone();
            StepSupport.scale(input, 0, (int) layout.length(), before);
        }
        if (accumulated == null) {
            accumulated = new float[(int) layout.shardLength()];
        }
        if (!empty && received == null) {
            received = new float[(int) layout.shardLength()];
        }
        float[] target = empty ? accumulated : received;
        StepSupport.reduceScatter(comm, layout, buckets.reduceBucketSize(), input, target, 0);
        if (!empty) {
            for (int i = 0; i < accumulated.length; i++) {
                accumulated[i] += received[i];
            }
        }
        empty = false;
    }

    /** Copies the buffer into a padded array of its own (allocated once) and accumulates that. */
    @Override
    public void accumulate(java.nio.FloatBuffer localGradient) {
        if (local == null) {
            local = new float[(int) layout.paddedLength()];
        }
        localGradient.get(0, local, 0, (int) layout.length());
        accumulate(local);
    }

    @Override
    public void reduceInPlace(java.nio.FloatBuffer gradient) {
        if (!empty) {
            throw new IllegalStateException("reduceInPlace() after accumulate(): reduce() the accumulated step first");
        }
        if (gradient.limit() < layout.length()) {
            throw new IllegalArgumentException("gradient has " + gradient.limit() + " elements but the flat vector"
                    + " has " + layout.length());
        }
        if (staging == null) {
            staging = new float[StepSupport.reduceScatterStaging(layout, buckets.reduceBucketSize())];
        }
        StepSupport.reduceScatterInPlace(comm, layout, buckets.reduceBucketSize(), scaling, gradient, staging);
    }

    @Override
    public float[] idleBuffer() {
        return accumulated;
    }

    @Override
    public ReducedGradient reduce() {
        if (empty) {
            throw new IllegalStateException("reduce() before any accumulate(): nothing to reduce in this step");
        }
        Range r = updateRange();
        StepSupport.scale(accumulated, 0, (int) r.length(), scaling.afterSum(comm.worldSize()));
        empty = true;
        return new ReducedGradient(accumulated, 0, (int) r.length());
    }

    @Override
    public void gather(float[] params) {
        StepSupport.checkLength(params, layout, "params");
        StepSupport.allGather(comm, layout, buckets.allgatherBucketSize(), params);
    }

    /** @return elements of the shard-sized buffers allocated so far (none until the first {@link #accumulate}) */
    @Override
    public long bufferElements() {
        return (accumulated == null ? 0 : accumulated.length) + (received == null ? 0 : received.length)
                + (local == null ? 0 : local.length) + bucketElements();
    }

    @Override
    public long bucketElements() {
        return staging == null ? 0 : staging.length;
    }
}
