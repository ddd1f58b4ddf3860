package io.ds4j.dl4j.precision;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An output layer's own loss function with its gradient multiplied by the current loss scale: DeepSpeed's
 * {@code (loss * scale).backward()} expressed at the one place DL4J's backward pass starts. Scores (per batch and per
 * example) come from the delegate unchanged, so DL4J's reported score, listeners and early stopping see the true loss.
 *
 * <p>Multiplying by a power of two is exact in fp32 and fp16 (barring overflow), so every parameter gradient of the
 * network is exactly {@code scale} times the unscaled one: backpropagation is linear in the loss gradient.
 *
 * <p>Normally installed and removed by {@link ScaledLossInstaller}, which restores the original object so a saved
 * model never contains this class. Should a configuration be serialized while it is installed, it is written as
 * {@code {"@class": ..., "delegate": {...}}} and reads back with scale 1 (the holder is not serialized).
 */
public final class ScaledLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    @JsonProperty("delegate")
    private final ILossFunction delegate;
    @JsonIgnore
    private final transient LossScaleHolder holder;

    /**
     * Wraps {@code delegate}, scaling its gradients by {@code holder.get()} at the time each gradient is computed.
     *
     * @throws IllegalArgumentException when {@code delegate} is itself a {@code ScaledLoss} (the scale would apply
     *                                  twice)
     */
    public ScaledLoss(ILossFunction delegate, LossScaleHolder holder) {
        Objects.requireNonNull(delegate, "delegate");
        Objects.requireNonNull(holder, "holder");
        if (delegate instanceof ScaledLoss) {
            throw new IllegalArgumentException("the loss function is already a ScaledLoss; loss scaling is already "
                    + "installed on this layer (close the previous ScaledLossInstaller first)");
        }
        this.delegate = delegate;
        this.holder = holder;
    }

    /** For JSON deserialization: scale 1. */
    @JsonCreator
    static ScaledLoss fromJson(@JsonProperty("delegate") ILossFunction delegate) {
        return new ScaledLoss(delegate, new LossScaleHolder());
    }

    /** The wrapped loss function (the layer's original). */
    public ILossFunction delegate() {
        return delegate;
    }

    /** The holder the scale is read from. */
    public LossScaleHolder holder() {
        return holder == null ? new LossScaleHolder() : holder;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean average) {
        return delegate.computeScore(labels, preOutput, activationFn, mask, average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return delegate.computeScoreArray(labels, preOutput, activationFn, mask);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return scaled(delegate.computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask, boolean average) {
        Pair<Double, INDArray> p = delegate.computeGradientAndScore(labels, preOutput, activationFn, mask, average);
        return new Pair<>(p.getFirst(), scaled(p.getSecond()));
    }

    private INDArray scaled(INDArray gradient) {
        double s = holder().get();
        return s == 1.0 ? gradient : gradient.muli(s);
    }

    @Override
    public String name() {
        return "ScaledLoss(" + delegate.name() + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScaledLoss other && delegate.equals(other.delegate);
    }

    @Override
    public int hashCode() {
        return 31 * delegate.hashCode() + 7;
    }

    @Override
    public String toString() {
        return "ScaledLoss(" + delegate + ", scale=" + holder().get() + ")";
    }
}
