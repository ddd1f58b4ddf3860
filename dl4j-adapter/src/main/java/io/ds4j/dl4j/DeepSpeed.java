package io.ds4j.dl4j;

import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Entry point for a world of one rank: {@code try (DeepSpeedEngine e = DeepSpeed.initialize(net, options)) {
 * net.fit(iterator); }}. For several ranks use {@link ZeroTrainer}.
 */
public final class DeepSpeed {

    private DeepSpeed() {
    }

    /**
     * Installs ds4j's step for a parsed DeepSpeed configuration (world size 1).
     *
     * @param net an initialised {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param config the configuration; see {@link EngineOptions#from} for the sections honoured
     * @return the engine; close it to put DL4J's plain updater back
     */
    public static DeepSpeedEngine initialize(Model net, io.ds4j.config.DeepSpeedConfig config) {
        return initialize(net, EngineOptions.from(config, 1), EnginePrecision.from(config, 1));
    }

    /**
     * Installs ds4j's step in fp32, without a {@code csv_monitor}.
     *
     * @param net an initialised {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param options the engine options
     * @return the engine; close it to put DL4J's plain updater back
     * @throws IllegalArgumentException for an unsupported model or an option a world of one cannot honour
     */
    public static DeepSpeedEngine initialize(Model net, EngineOptions options) {
        return initialize(net, options, EnginePrecision.fp32());
    }

    /**
     * Installs ds4j's step into the network's own updater slot, so that {@code net.fit(...)} runs it. With fp16 or
     * bf16 the engine keeps the fp32 master and the network computes on its 16-bit rounding (see {@link LocalStep});
     * with fp16 the network's loss functions are scaled until {@link DeepSpeedEngine#close()}.
     *
     * @param net an initialised {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param options the engine options
     * @param precision the mixed precision and {@code csv_monitor} ({@link EnginePrecision#fp32()} for neither)
     * @return the engine; close it to put DL4J's plain updater back (and, mixed, the fp32 master into the network)
     * @throws IllegalArgumentException for an unsupported model or an option a world of one cannot honour
     */
    public static DeepSpeedEngine initialize(Model net, EngineOptions options, EnginePrecision precision) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(precision, "precision");
        if (options.zero().stage() == 3) {
            throw new IllegalArgumentException("zero_optimization.stage: 3 cannot run inside DL4J's own fit(), which"
                    + " computes on the network's full flat parameter vector; train with ZeroTrainer (worldSize 1"
                    + " works), which partitions the parameters, or use stage 0-2 here");
        }
        if (precision.halfCompute()) {
            throw new IllegalArgumentException("compute type half cannot run inside DL4J's own fit(): the network "
                    + "computes in its own data type (" + net.params().dataType() + "), and DL4J can only convert a "
                    + "network into a new object; train with ZeroTrainer (worldSize 1 works), which computes in HALF, "
                    + "or pass EnginePrecision.from(config, 1) here (FLOAT on fp16 values)");
        }
        if (options.gradientAccumulationSteps() != 1) {
            throw new IllegalArgumentException("gradient_accumulation_steps: " + options.gradientAccumulationSteps()
                    + " cannot be honoured inside DL4J's own fit(), which updates after every minibatch; use 1 here,"
                    + " or ZeroTrainer which splits each global batch into micro-batches");
        }
        if (options.zero().offloadsOptimizer() && options.zero().stage() > 0) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.device: "
                    + options.zero().offloadOptimizer().device().jsonName() + " is not available inside DL4J's own"
                    + " fit(), which applies the update itself (the offloaded master and the network would drift by"
                    + " rounding); use ZeroTrainer (worldSize 1 works) or set offload_optimizer.device to none");
        }
        LocalStep step;
        if (net instanceof MultiLayerNetwork mln) {
            INDArray state = mln.getUpdater(true).getStateViewArray();
            EngineMultiLayerUpdater u = new EngineMultiLayerUpdater(mln, state, options, precision);
            mln.setUpdater(u);
            step = u.step();
        } else if (net instanceof ComputationGraph cg) {
            INDArray state = cg.getUpdater(true).getStateViewArray();
            EngineGraphUpdater u = new EngineGraphUpdater(cg, state, options, precision);
            cg.setUpdater(u);
            step = u.step();
        } else {
            throw FlatLayout.unsupported(net);
        }
        Runnable restore = options.optimizer().isEmpty() && options.sections().scheduler().isPresent()
                ? ScheduleInstaller.install(net, options.sections().scheduler().get()) : () -> { };
        return new DeepSpeedEngine(net, options, step, restore);
    }
}
