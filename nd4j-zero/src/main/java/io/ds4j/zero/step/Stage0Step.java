package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;

/** Stage 0, plain data parallelism: all-reduce of the full gradient, every rank updates everything. */
public final class Stage0Step implements ZeroStep {

    private final Collectives comm;
    private final ShardLayout layout;
    private final Buckets buckets;
    private final ReductionScaling scaling;
    private final float[] accumulated;
    private boolean empty = true;

    Stage0Step(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        this.comm = comm;
        this.layout = layout;
        this.buckets = buckets;
        this.scaling = scaling;
        this.accumulated = new float[(int) layout.paddedLength()];
    }

    @Override
    public Range updateRange() {
        return new Range(0, layout.length());
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
        int n = (int) layout.length();
        int w = comm.worldSize();
        StepSupport.scale(accumulated, 0, n, scaling.beforeSum(w));
        for (Range chunk : ShardLayout.chunks(new Range(0, n), buckets.reduceBucketSize())) {
            comm.allReduceSum(accumulated, (int) chunk.offset(), (int) chunk.length());
        }
        StepSupport.scale(accumulated, 0, n, scaling.afterSum(w));
        empty = true;
        return new ReducedGradient(accumulated, 0, n);
    }

    @Override
    public void gather(float[] params) {
        StepSupport.checkLength(params, layout, "params");
        // every rank updated the whole vector: nothing to move
    }

    @Override
    public long bufferElements() {
        return accumulated.length;
    }
}
