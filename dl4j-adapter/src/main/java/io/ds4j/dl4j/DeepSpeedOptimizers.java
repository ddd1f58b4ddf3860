package io.ds4j.dl4j;

import io.ds4j.zero.config.AdagradConfig;
import io.ds4j.zero.config.AdamConfig;
import io.ds4j.zero.config.LambConfig;
import io.ds4j.zero.config.LionConfig;
import io.ds4j.zero.config.OptimizerConfig;
import io.ds4j.zero.config.SgdConfig;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.kernels.Betas;
import io.ds4j.zero.kernels.FusedAdagrad;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedLion;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.LambCoefficients;
import io.ds4j.zero.update.DeepSpeedOptimizer;
import io.ds4j.zero.update.LambTensors;
import io.ds4j.zero.update.OffloadedShardUpdate;
import io.ds4j.zero.update.ResidentShardUpdate;
import io.ds4j.zero.update.ShardUpdate;
import io.ds4j.zero.ledger.MemoryLedger;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The bridge between a DeepSpeed {@code optimizer} section and the engine: "auto" values read from the network's
 * DL4J updater, the resolved hyper-parameters turned into ds4j's fused kernels, and the checks that the network has
 * nothing DL4J-specific that the DeepSpeed optimizer would silently drop.
 */
public final class DeepSpeedOptimizers {

    private DeepSpeedOptimizers() {
    }

    /**
     * The DeepSpeed optimizer the engine runs for {@code options} on {@code net}, built in one place for every driver
     * (stages 0-2, stage 3, the world of one inside {@code fit()}, the {@code csv_monitor}): the network is checked
     * ({@link #requireCompatible(FlatLayout, ZeroConfig)}), {@code "auto"} params are read from its updater, the
     * kernel is built and the {@code scheduler} section, if any, becomes its learning rate.
     *
     * @param options the engine's options
     * @param net     the network (a rank's replica: its layout and updater are the user's)
     * @return the optimizer, or empty without an {@code optimizer} section (the network's own DL4J updaters)
     * @throws IllegalArgumentException naming the key, the layer or the value the engine cannot honour
     */
    public static java.util.Optional<DeepSpeedOptimizer> of(EngineOptions options, Model net) {
        if (options.optimizer().isEmpty()) {
            return java.util.Optional.empty();
        }
        requireCompatible(FlatLayout.of(net), options.zero());
        OptimizerConfig oc = options.optimizer().get().toConfig(autoValues(net));
        FusedOptimizer kernel = kernel(oc);
        if (kernel instanceof FusedLamb && options.zero().offloadsOptimizer() && options.zero().stage() > 0) {
            throw new io.ds4j.config.DeepSpeedConfigException("optimizer.type", "Lamb cannot be offloaded: its trust"
                    + " ratio needs whole tensors, which the offload store's sub-groups do not see (DeepSpeed has no"
                    + " CPU Lamb either); use Adam, AdamW, SGD, Adagrad or Lion with offload_optimizer, or set"
                    + " zero_optimization.offload_optimizer.device to none");
        }
        ISchedule schedule = options.sections().scheduler()
                .map(s -> (ISchedule) ScheduleInstaller.schedule(s, oc.lr()).toLrSchedule()).orElse(null);
        return java.util.Optional.of(new DeepSpeedOptimizer(kernel, oc.lr(), schedule));
    }

    /**
     * Values for {@code "auto"} optimizer params from the network's updater (the first updater block): {@code lr}
     * from any ND4J updater with a learning rate; {@code betas} and {@code eps} from Adam; {@code momentum} from
     * Nesterovs; {@code weight_decay} 0, the network's own: next to an {@code optimizer} section the engine refuses
     * DL4J regularization ({@link #requireCompatible}), so a network it trains has no weight decay of its own (as
     * Hugging Face resolves {@code "auto"} from its {@code weight_decay} argument, default 0).
     *
     * @param net the network
     * @return the values by DeepSpeed param name
     */
    public static Map<String, Object> autoValues(Model net) {
        Map<String, Object> out = new HashMap<>();
        List<FlatLayout.Block> blocks = FlatLayout.of(net).blocks();
        if (blocks.isEmpty()) {
            return out;
        }
        IUpdater u = blocks.stream().map(FlatLayout.Block::updater)
                .filter(x -> !(x instanceof org.nd4j.linalg.learning.config.NoOp)).findFirst()
                .orElse(blocks.get(0).updater()); // a frozen layer's NoOp says nothing of the lr
        if (u.hasLearningRate()) {
            out.put("lr", u.getLearningRate(0, 0));
        }
        out.put("weight_decay", 0.0);
        if (u instanceof Adam a) {
            out.put("betas", List.of(a.getBeta1(), a.getBeta2()));
            out.put("eps", a.getEpsilon());
        } else if (u instanceof Nesterovs n) {
            out.put("momentum", n.getMomentum());
        } else if (u instanceof Sgd) {
            out.put("momentum", 0.0);
        }
        return out;
    }

    /**
     * The fused kernel with DeepSpeed's semantics for resolved hyper-parameters.
     *
     * @param c the resolved optimizer section
     * @return the kernel
     * @throws IllegalArgumentException naming the key for a value the kernels do not implement
     */
    public static FusedOptimizer kernel(OptimizerConfig c) {
        if (c instanceof AdamConfig a) {
            return new FusedAdam(new Betas((float) a.beta1(), (float) a.beta2()), (float) a.eps(),
                    (float) a.weightDecay(), a.adamWMode(), a.biasCorrection());
        }
        if (c instanceof SgdConfig s) {
            return new FusedSgd((float) s.momentum(), (float) s.dampening(), s.nesterov(), (float) s.weightDecay());
        }
        if (c instanceof AdagradConfig a) {
            if (a.lrDecay() != 0 || a.initialAccumulatorValue() != 0) {
                throw new IllegalArgumentException("optimizer.params.lr_decay / initial_accumulator_value: "
                        + a.lrDecay() + " / " + a.initialAccumulatorValue() + " are not implemented by the fused"
                        + " Adagrad; use 0 for both");
            }
            return new FusedAdagrad((float) a.eps(), (float) a.weightDecay());
        }
        if (c instanceof LambConfig l) {
            if (l.epsInsideSqrt()) {
                throw new IllegalArgumentException("optimizer.params.eps_inside_sqrt: true is not implemented by the"
                        + " fused Lamb; use false");
            }
            return new FusedLamb(new Betas((float) l.beta1(), (float) l.beta2()), (float) l.eps(),
                    (float) l.weightDecay(), l.biasCorrection(),
                    new LambCoefficients((float) l.maxCoeff(), (float) l.minCoeff()));
        }
        LionConfig l = (LionConfig) c;
        return new FusedLion(new Betas((float) l.beta1(), (float) l.beta2()), (float) l.weightDecay());
    }

    /**
     * {@link #requireCompatible(FlatLayout)}, and refuses frozen parameters ({@link FlatLayout.Slot#frozen()}) when
     * {@code offload_optimizer} moves the step into an offload store, whose sub-groups step every element: the
     * non-offloaded steps skip them.
     *
     * @param layout the network's layout
     * @param zero   {@code zero_optimization}
     * @throws IllegalArgumentException naming the layer, the parameter and the fix
     */
    public static void requireCompatible(FlatLayout layout, ZeroConfig zero) {
        requireCompatible(layout);
        java.util.Optional<FlatLayout.Slot> frozen = layout.firstFrozen();
        if (frozen.isPresent() && zero.offloadsOptimizer() && zero.stage() > 0) {
            FlatLayout.Slot s = frozen.get();
            throw new IllegalArgumentException("zero_optimization.offload_optimizer: layer "
                    + s.layer().getConfig().getLayerName() + " parameter " + s.name() + " is frozen (DL4J NoOp "
                    + "updater: FrozenLayer, FrozenVertex), and the offloaded optimizer step cannot skip it yet; set "
                    + "offload_optimizer.device to \"none\" (frozen parameters are then left unchanged), or unfreeze "
                    + "the layer");
        }
    }

    /**
     * Refuses networks whose DL4J configuration would be silently ignored by a DeepSpeed optimizer: layer
     * regularization (l1, l2, weight decay; use {@code optimizer.params.weight_decay}), layer gradient normalization
     * (use {@code gradient_clipping}), and parameters whose "gradient" is an update (BatchNorm running statistics).
     *
     * @param layout the network's layout
     * @throws IllegalArgumentException naming the layer, the parameter and the fix
     */
    public static void requireCompatible(FlatLayout layout) {
        for (FlatLayout.Slot s : layout.slots()) {
            if (s.frozen()) {
                continue; // the optimizer skips it, so nothing of its DL4J configuration is ignored
            }
            String where = "layer " + s.layer().getConfig().getLayerName() + " parameter " + s.name();
            List<Regularization> regs = s.layer().getConfig().getRegularizationByParam(s.name());
            if (regs != null && !regs.isEmpty()) {
                throw new IllegalArgumentException("optimizer: " + where + " has DL4J regularization " + regs
                        + " that a DeepSpeed optimizer would ignore; remove it and set optimizer.params.weight_decay,"
                        + " or remove the optimizer section to train with the DL4J updater");
            }
            GradientNormalization gn = s.layer().getConfig().getGradientNormalization();
            if (gn != null && gn != GradientNormalization.None) {
                throw new IllegalArgumentException("optimizer: " + where + " has DL4J gradient normalization " + gn
                        + " that a DeepSpeed optimizer would ignore; use gradient_clipping instead, or remove the"
                        + " optimizer section");
            }
            if (!s.dividedByMinibatch()) {
                throw new IllegalArgumentException("optimizer: " + where + " holds running statistics (e.g."
                        + " BatchNormalization) that DL4J updates outside the optimizer; not supported with a DeepSpeed"
                        + " optimizer yet; remove the optimizer section to train with the DL4J updater");
            }
        }
    }

    /**
     * The shard's DeepSpeed optimizer step: in a store on the host or on disk when {@code offload_optimizer} asks
     * for it at stage 1 or 2 (at stage 0 DeepSpeed ignores the setting and so does the engine; the config reader
     * warns), otherwise in arrays next to the network.
     */
    static ShardUpdate optimizerStep(DeepSpeedOptimizer update, ZeroConfig zero, INDArray paramRange,
            INDArray gradRange, MemoryLedger ledger, LambTensors tensors) {
        if (zero.offloadsOptimizer() && zero.stage() > 0) { // Lamb was refused by DeepSpeedOptimizers.of
            return OffloadedShardUpdate.open(update, zero, paramRange, gradRange, ledger);
        }
        return new ResidentShardUpdate(update, paramRange, gradRange, tensors);
    }

    /**
     * The network's own DL4J updaters (no {@code optimizer} section) run as ND4J ops on the state array DL4J laid out
     * per layer, so they cannot run from a store; DeepSpeed likewise refuses a client optimizer with ZeRO-Offload
     * ({@code zero_force_ds_cpu_optimizer}) and asks for its CPU optimizer.
     */
    static void requireNoOffload(ZeroConfig zero) {
        if (zero.offloadsOptimizer() && zero.stage() > 0) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.device: "
                    + zero.offloadOptimizer().device().jsonName() + " needs DeepSpeed's optimizer: the network's own"
                    + " DL4J updaters cannot run on offloaded state; add an \"optimizer\" section (e.g. {\"type\":"
                    + " \"Adam\", \"params\": {\"lr\": \"auto\"}}) or set offload_optimizer.device to none");
        }
    }
}
