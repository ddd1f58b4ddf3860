package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/**
 * Stage 1, optimizer state partitioning: full-size local accumulation, one bucketed reduce-scatter per step (only the
 * own shard of the reduced gradient is needed), the own shard updated, the shards all-gathered.
 */
public final class Stage1Step implements ZeroStep {

    private final Collectives comm;
    private final ShardLayout layout;
    private final Buckets buckets;
    private final ReductionScaling scaling;
    private final float[] accumulated;
    private boolean empty = true;

    Stage1Step(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        this.comm = comm;
        this.layout = layout;
        this.buckets = buckets;
        this.scaling = scaling;
        this.accumulated = new float[(int) layout.paddedLength()];
    }

    @Override
    public Range updateRange() {
        return layout.ownedRange(comm.rank());
    }

    @Override
    public void accumulate(float[] localGradient) {
        StepSupport.checkLength(localGradient, layout, "local gradient");
        StepSupport.addScaled(accumulated, localGradient, (int) layout.length(), 1.0, empty);
        empty = false;
    }

    @Override
    public ReducedGradient reduce() {
        if (empty) {
            throw new IllegalStateException("reduce() before any accumulate(): nothing to reduce in this step");
        }
        int w = comm.worldSize();
        StepSupport.scale(accumulated, 0, (int) layout.length(), scaling.beforeSum(w));
        int own = (int) layout.shardOffset(comm.rank());
        // the output aliases the own block of the input: an in-place reduce-scatter
        StepSupport.reduceScatter(comm, layout, buckets.reduceBucketSize(), accumulated, accumulated, own);
        Range r = updateRange();
        StepSupport.scale(accumulated, (int) r.offset(), (int) r.end(), scaling.afterSum(w));
        empty = true;
        return new ReducedGradient(accumulated, (int) r.offset(), (int) r.length());
    }

    @Override
    public void gather(float[] params) {
        StepSupport.checkLength(params, layout, "params");
        StepSupport.allGather(comm, layout, buckets.allgatherBucketSize(), params);
    }

    @Override
    public long bufferElements() {
        return accumulated.length;
    }
}
