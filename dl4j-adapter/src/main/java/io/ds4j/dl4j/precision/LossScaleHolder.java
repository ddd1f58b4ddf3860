package io.ds4j.dl4j.precision;

/**
 * The loss scale the network's {@link ScaledLoss} functions apply, set by the engine before each step (from
 * {@code io.ds4j.precision.LossScale#value()}) and read during the backward pass. Thread-safe (a volatile value); one
 * holder per rank, since ranks of an in-process world run on different threads with the same scale.
 */
public final class LossScaleHolder {
    private volatile double scale;

    /** A holder with scale 1 (no scaling). */
    public LossScaleHolder() {
        this(1.0);
    }

    /** A holder with the given initial scale. */
    public LossScaleHolder(double scale) {
        set(scale);
    }

    /** The current scale. */
    public double get() {
        return scale;
    }

    /**
     * Sets the scale used from the next loss gradient on.
     *
     * @throws IllegalArgumentException when {@code scale} is not finite and positive
     */
    public void set(double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("loss scale must be finite and > 0, got " + scale
                    + "; pass LossScale.value() of the current step (1 for no scaling)");
        }
        this.scale = scale;
    }

    @Override
    public String toString() {
        return "LossScaleHolder[" + scale + "]";
    }
}
