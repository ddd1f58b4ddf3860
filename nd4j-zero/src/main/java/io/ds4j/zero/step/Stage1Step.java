package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/**
 * Stage 1, optimizer state partitioning: full-size local accumulation, one bucketed reduce-scatter per step (only the
 * own shard of the reduced gradient is needed), the own shard updated, the shards all-gathered.
 */
public final class Stage1Step extends FullGradientStep {

    Stage1Step(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        super(comm, layout, buckets, scaling, Math.max(Math.max(layout.worldSize(),
                StepSupport.reduceScatterStaging(layout, buckets.reduceBucketSize())), buckets.allgatherBucketSize()));
    }

    @Override
    void reduceBuffer(java.nio.FloatBuffer gradient) {
        StepSupport.reduceScatterInPlace(comm, layout, buckets.reduceBucketSize(), scaling, gradient, staging);
    }

    @Override
    public Range updateRange() {
        return layout.ownedRange(comm.rank());
    }

    @Override
    ReducedGradient reduceAccumulated(int w) {
        StepSupport.scale(accumulated, 0, (int) layout.length(), scaling.beforeSum(w));
        int own = (int) layout.shardOffset(comm.rank());
        // the output aliases the own block of the input: an in-place reduce-scatter
        StepSupport.reduceScatter(comm, layout, buckets.reduceBucketSize(), accumulated, accumulated, own);
        Range r = updateRange();
        StepSupport.scale(accumulated, (int) r.offset(), (int) r.end(), scaling.afterSum(w));
        return new ReducedGradient(accumulated, (int) r.offset(), (int) r.length());
    }

    @Override
    public void gather(float[] params) {
        StepSupport.checkLength(params, layout, "params");
        StepSupport.allGather(comm, layout, buckets.allgatherBucketSize(), params);
    }
}
