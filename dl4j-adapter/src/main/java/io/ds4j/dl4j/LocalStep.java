package io.ds4j.dl4j;

import io.ds4j.schedules.LrSchedule;
import io.ds4j.zero.config.OptimizerConfig;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.StepArgs;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The step of a world of one rank, run inside DL4J's own {@code fit()}: DL4J's summed gradient is averaged over the
 * minibatch and its global norm taken. Without an {@code optimizer} section it is clipped (DeepSpeed's
 * {@code gradient_clipping}), normalised per layer as the layer configuration says, and turned into the update by
 * the network's own updaters (their state is DL4J's updater state). With one, DeepSpeed's fused optimizer updates a
 * copy of the parameters and the difference is left as the update. DL4J's solver then subtracts the update.
 */
final class LocalStep implements AutoCloseable {

    private final ShardGradient gradient;
    private final ShardUpdater updater;
    private final FusedShardStep fused;
    private final KernelPool pool;
    private final EngineOptions options;
    private final INDArray params;
    private final INDArray gradView;
    private double lastNorm = Double.NaN;
    private long steps;

    private LocalStep(Model net, INDArray grads, INDArray dl4jState, EngineOptions options) {
        FlatLayout layout = FlatLayout.of(net);
        this.options = options;
        this.params = ShardUpdater.flat(net.params());
        this.gradView = grads;
        this.gradient = new ShardGradient(layout, 0, layout.length(), grads);
        if (options.optimizer().isPresent()) {
            DeepSpeedOptimizers.requireCompatible(layout);
            OptimizerConfig oc = options.optimizer().get().toConfig(DeepSpeedOptimizers.autoValues(net));
            LrSchedule schedule = options.sections().scheduler()
                    .map(s -> ScheduleInstaller.schedule(s, oc.lr())).orElse(null);
            this.fused = new FusedShardStep(DeepSpeedOptimizers.kernel(oc), oc.lr(), schedule, params,
                    ShardUpdater.flat(grads));
            this.pool = new KernelPool(1);
            this.updater = null;
        } else {
            this.updater = ShardUpdater.onDl4jState(layout, params, grads, dl4jState);
            this.fused = null;
            this.pool = null;
        }
    }

    /**
     * @param net the network
     * @param grads its flat gradient view
     * @param dl4jState its DL4J updater state (used by the DL4J updaters; untouched with an optimizer section)
     * @param options the engine options
     * @return the step
     */
    static LocalStep create(Model net, INDArray grads, INDArray dl4jState, EngineOptions options) {
        return new LocalStep(net, grads, dl4jState, options);
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
        if (fused != null) {
            INDArray before = params.dup();
            fused.apply(iteration, StepArgs.unscaleAndClip(1.0, lastNorm, options.clipping().maxNorm()), pool);
            ShardUpdater.flat(gradView).assign(before.sub(params)); // DL4J subtracts it: params end at the new value
            params.assign(before);
        } else {
            gradient.scale(options.clipping().scale(lastNorm));
            gradient.normalize(gradient.normalizationSumsOfSquares());
            updater.gradientToUpdate(iteration, epoch);
        }
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

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
