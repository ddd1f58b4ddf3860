package io.ds4j.dl4j;

import io.ds4j.zero.step.GradientClipping;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The step of a world of one rank, run inside DL4J's own {@code fit()}: DL4J's summed gradient is averaged over the
 * minibatch, clipped by its global norm (DeepSpeed's {@code gradient_clipping}), normalised per layer as the layer
 * configuration says, and turned into the update by the network's own updaters. DL4J's solver then subtracts it.
 */
final class LocalStep {

    private final ShardGradient gradient;
    private final ShardUpdater updater;
    private final GradientClipping clipping;
    private final INDArray gradView;
    private double lastNorm = Double.NaN;
    private long steps;

    LocalStep(FlatLayout layout, INDArray params, INDArray grads, INDArray dl4jState, GradientClipping clipping) {
        this.gradView = grads;
        this.gradient = new ShardGradient(layout, 0, layout.length(), grads);
        this.updater = ShardUpdater.onDl4jState(layout, params, grads, dl4jState);
        this.clipping = clipping;
    }

    /**
     * Runs one step on the network's flat gradient view.
     *
     * @param external the array DL4J passed as the gradient; must be the network's own view
     * @param iteration DL4J's iteration count
     * @param epoch DL4J's epoch count
     * @param batchSize the minibatch size
     */
    void run(INDArray external, int iteration, int epoch, int batchSize) {
        if (!sameMemory(external, gradView)) {
            throw new IllegalStateException("the gradient passed to the ds4j updater is not the network's own flat "
                    + "gradient view; external-gradient training (updateExternalGradient) is not supported");
        }
        gradient.average(batchSize, 1.0);
        lastNorm = Math.sqrt(gradient.clipSumOfSquares());
        gradient.scale(clipping.scale(lastNorm));
        gradient.normalize(gradient.normalizationSumsOfSquares());
        updater.gradientToUpdate(iteration, epoch);
        steps++;
    }

    private static boolean sameMemory(INDArray a, INDArray b) {
        return a == b || (a.length() == b.length() && a.offset() == b.offset()
                && a.data().address() == b.data().address());
    }

    /** @return the global gradient norm of the last step before clipping, NaN before the first */
    double lastGradientNorm() {
        return lastNorm;
    }

    /** @return the number of steps run */
    long steps() {
        return steps;
    }
}
