package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/** Stage 0, plain data parallelism: all-reduce of the full gradient, every rank updates everything. */
public final class Stage0Step extends FullGradientStep {

    Stage0Step(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        super(comm, layout, buckets, scaling, buckets.reduceBucketSize());
    }

    @Override
    void reduceBuffer(java.nio.FloatBuffer gradient) {
        StepSupport.allReduceInPlace(comm, layout, buckets.reduceBucketSize(), scaling, gradient, staging);
    }

    @Override
    public Range updateRange() {
        return new Range(0, layout.length());
    }

    @Override
    ReducedGradient reduceAccumulated(int w) {
        int n = (int) layout.length();
        StepSupport.scale(accumulated, 0, n, scaling.beforeSum(w));
        for (Range chunk : ShardLayout.chunks(new Range(0, n), buckets.reduceBucketSize())) {
            comm.allReduceSum(accumulated, (int) chunk.offset(), (int) chunk.length());
        }
        StepSupport.scale(accumulated, 0, n, scaling.afterSum(w));
        return new ReducedGradient(accumulated, 0, n);
    }

    @Override
    public void gather(float[] params) {
        StepSupport.checkLength(params, layout, "params");
        // every rank updated the whole vector: nothing to move
    }
}
