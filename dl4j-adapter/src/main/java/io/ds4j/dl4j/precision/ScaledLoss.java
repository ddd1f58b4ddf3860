package io.ds4j.dl4j.precision;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
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
 * <p>Multiplying by a power of two is exact in fp32 and fp16 (barring overflow), so every parameter gradient of a
 * FLOAT network is exactly {@code scale} times the unscaled one: backpropagation is linear in the loss gradient.
 * For a HALF network (fp16 compute) the loss and its scaled gradient are computed in FLOAT from the HALF output and
 * the gradient is rounded to HALF once, after scaling, so small loss gradients survive into the backward pass.
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
        return delegate.computeScore(wide(labels), wide(preOutput), activationFn, wide(mask), average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray s = delegate.computeScoreArray(wide(labels), wide(preOutput), activationFn, wide(mask));
        return s.dataType() == preOutput.dataType() ? s : s.castTo(preOutput.dataType());
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray g = delegate.computeGradient(wide(labels), wide(preOutput), activationFn, wide(mask));
        return scaled(g, preOutput.dataType());
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask, boolean average) {
        Pair<Double, INDArray> p = delegate.computeGradientAndScore(wide(labels), wide(preOutput), activationFn,
                wide(mask), average);
        return new Pair<>(p.getFirst(), scaled(p.getSecond(), preOutput.dataType()));
    }

    /**
     * The gradient times the scale, in the network's type: for a HALF network the loss and its gradient are computed
     * in FLOAT, multiplied by the scale in FLOAT and rounded once to HALF (DeepSpeed's {@code loss.float() * scale}
     * backward into an fp16 model). Multiplying a HALF array by a scale such as 65536 in HALF arithmetic would turn
     * the scale itself into Inf (fp16's largest finite value is 65504).
     */
    private INDArray scaled(INDArray gradient, DataType network) {
        double s = holder().get();
        INDArray g = s == 1.0 ? gradient : gradient.muli(s);
        return g.dataType() == network ? g : g.castTo(network);
    }

    /** A HALF array as FLOAT (its exact values), anything else unchanged; null stays null. */
    private static INDArray wide(INDArray a) {
        return a != null && a.dataType() == DataType.HALF ? a.castTo(DataType.FLOAT) : a;
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
