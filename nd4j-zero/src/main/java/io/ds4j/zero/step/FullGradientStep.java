package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.ShardLayout;

/**
 * What stages 0 and 1 share: a step of one micro-batch is reduced in the gradient's own buffer
 * ({@link #reduceInPlace}); with accumulation, micro-batch gradients are added into one full-size (padded) buffer,
 * allocated by the first {@link #accumulate} (DeepSpeed too holds one accumulated gradient then), and reduced once per
 * step. Both communicate through one staging bucket of at most {@code reduce_bucket_size} elements (and
 * {@code allgather_bucket_size}, for the gather that stages through {@link #idleBuffer()}), allocated once. They differ
 * only in how ({@link Stage0Step} all-reduces the whole vector, {@link Stage1Step} reduce-scatters it) and in what the
 * rank then updates.
 */
abstract sealed class FullGradientStep implements ZeroStep permits Stage0Step, Stage1Step {

    final Collectives comm;
    final ShardLayout layout;
    final Buckets buckets;
    final ReductionScaling scaling;
    final float[] staging;
    float[] accumulated;     // allocated by the first accumulate
    private boolean empty = true;

    FullGradientStep(Collectives comm, ShardLayout layout, Buckets buckets, ReductionScaling scaling, long staged) {
        this.comm = comm;
        this.layout = layout;
        this.buckets = buckets;
        this.scaling = scaling;
        this.staging = new float[(int) Math.max(1, Math.min(staged, layout.paddedLength()))];
    }

    @Override
    public final void accumulate(float[] localGradient) {
        StepSupport.checkLength(localGradient, layout, "local gradient");
        start();
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
        start();
        boolean first = empty;
        for (int i = 0; i < n; i++) {
            float v = localGradient.get(i);
            accumulated[i] = first ? v : accumulated[i] + v;
        }
        empty = false;
    }

    /** At a step's first micro-batch: the accumulator exists and its padding is zero. */
    private void start() {
        if (accumulated == null) {
            accumulated = new float[(int) layout.paddedLength()];
        }
    }

    @Override
    public final void reduceInPlace(java.nio.FloatBuffer gradient) {
        if (!empty) {
            throw new IllegalStateException("reduceInPlace() after accumulate(): reduce() the accumulated step first");
        }
        if (gradient.limit() < layout.length()) {
            throw new IllegalArgumentException("gradient has " + gradient.limit() + " elements but the flat vector"
                    + " has " + layout.length());
        }
        reduceBuffer(gradient);
    }

    /** Reduces {@code gradient} (the real elements at {@code [0, length)}) in place through {@link #staging}. */
    abstract void reduceBuffer(java.nio.FloatBuffer gradient);

    @Override
    public final float[] idleBuffer() {
        return staging;
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
        return staging.length + (accumulated == null ? 0 : accumulated.length);
    }

    @Override
    public final long bucketElements() {
        return staging.length;
    }
}
