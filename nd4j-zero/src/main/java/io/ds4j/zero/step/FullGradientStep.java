package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.ShardLayout;

/**
 * What stages 0 and 1 share: micro-batch gradients are accumulated locally into one full-size (padded) buffer and
 * reduced once per step; they differ only in how ({@link Stage0Step} all-reduces the whole vector, {@link Stage1Step}
 * reduce-scatters it) and in what the rank then updates.
 */
abstract sealed class FullGradientStep implements ZeroStep permits Stage0Step, Stage1Step {

    final Collectives comm;
    final ShardLayout layout;
    final Buckets buckets;
    final ReductionScaling scaling;
    final float[] accumulated;
    private boolean empty = true;

    FullGradientStep(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling) {
        this.comm = comm;
        this.layout = layout;
        this.buckets = buckets;
        this.scaling = scaling;
        this.accumulated = new float[(int) layout.paddedLength()];
    }

    @Override
    public final void accumulate(float[] localGradient) {
        StepSupport.checkLength(localGradient, layout, "local gradient");
        clearPadding();
        StepSupport.addScaled(accumulated, localGradient, (int) layout.length(), 1.0, empty);
        empty = false;
    }

    @Override
    public final void accumulate(java.nio.FloatBuffer localGradient) {
        int n = (int) layout.length();
        if (localGradient.limit() < n) {
            throw new IllegalArgumentException("local gradient has " + localGradient.limit() + " elements but the flat"
                    + " vector has " + n);
        }
        clearPadding();
        boolean first = empty;
        for (int i = 0; i < n; i++) {
            float v = localGradient.get(i);
            accumulated[i] = first ? v : accumulated[i] + v;
        }
        empty = false;
    }

    /** At a step's first micro-batch: the padding is zero again after the buffer staged a gather. */
    private void clearPadding() {
        if (empty) {
            java.util.Arrays.fill(accumulated, (int) layout.length(), accumulated.length, 0f);
        }
    }

    @Override
    public final float[] idleBuffer() {
        return accumulated;
    }

    @Override
    public final ReducedGradient reduce() {
        if (empty) {
            throw new IllegalStateException("reduce() before any accumulate(): nothing to reduce in this step");
        }
        empty = true;
        return reduceAccumulated(comm.worldSize());
    }

    /** Reduces {@link #accumulated} across the ranks and returns the part this rank updates. */
    abstract ReducedGradient reduceAccumulated(int worldSize);

    @Override
    public final long bufferElements() {
        return accumulated.length;
    }
}
