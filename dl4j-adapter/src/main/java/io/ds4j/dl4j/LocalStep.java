package io.ds4j.dl4j;

import io.ds4j.precision.LossScale;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.update.DeepSpeedOptimizer;
import io.ds4j.zero.update.ResidentShardUpdate;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The step of a world of one rank, run inside DL4J's own {@code fit()}: DL4J's summed gradient is averaged over the
 * minibatch and its global norm taken. Without an {@code optimizer} section it is clipped (DeepSpeed's
 * {@code gradient_clipping}), normalised per layer as the layer configuration says, and turned into the update by
 * the network's own updaters (their state is DL4J's updater state). With one, DeepSpeed's fused optimizer updates a
 * copy of the parameters and the difference is left as the update. DL4J's solver then subtracts the update.
 *
 * <p>fp16/bf16 ({@link RankPrecision}, the same operations as a {@link RankWorker} of a world of one): the engine
 * keeps the fp32 master; the network's parameters hold the master rounded to the 16-bit format (its compute copy).
 * The loss gradient carries the loss scale ({@code ScaledLoss}, installed by {@code create}); the summed gradient is
 * stored as {@code round16(g / m)}. On overflow the step is skipped: the update left is zero, so DL4J's
 * {@code params.subi(update)} changes nothing. Otherwise the unscaled gradient updates the master and the update
 * left is {@code u = p - r}, with {@code p} the current compute copy and {@code r = round16(master)}, computed in
 * fp32 so that DL4J's {@code p - u} lands on {@code r}. That is exact whenever {@code p - r} is an fp32 value, which
 * holds in practice: both are 16-bit values, and a master that falls far below {@code p} in magnitude got there by an
 * fp32 subtraction that cancelled, so it lies on fp32's grid near {@code p}. The engine checks every element; where
 * one is not exact, a listener placed first among the network's listeners writes {@code r} after DL4J's
 * subtraction, before any other listener and the next forward pass ({@link DeepSpeedEngine#repairedSteps()} counts
 * such steps; a user who replaces the listeners with {@code setListeners} after {@code initialize} removes that
 * safety net). DL4J counts every call as an iteration; the updaters and schedules see
 * {@code iteration - skippedSteps}, the engine's own count of applied steps, as DeepSpeed does not advance the
 * scheduler on a skipped step.
 */
final class LocalStep implements AutoCloseable {

    private final ShardGradient gradient;
    private final ShardUpdater updater;
    private final ResidentShardUpdate fused;
    private final KernelPool pool;
    private final EngineOptions options;
    private final INDArray params;
    private final INDArray gradView;
    private final Model net;
    private final RankPrecision precision;
    private final INDArray master;
    private final TrainingMonitor monitor;
    private final ComputeCopyListener repair;
    private final ResidentGuard guard = ResidentGuard.forProcess(Double.NaN); // ds4j.resident.slack, else 0.1
    private double lastNorm = Double.NaN;
    private long steps;
    private long skipped;
    private long repaired;

    private final EnginePrecision config;

    private LocalStep(Model net, INDArray grads, INDArray dl4jState, EngineOptions options, EnginePrecision mixed) {
        FlatLayout layout = FlatLayout.of(net);
        this.config = mixed;
        this.net = net;
        this.options = options;
        this.params = ShardUpdater.flat(net.params());
        this.gradView = grads;
        this.gradient = new ShardGradient(layout, 0, layout.length(), grads, options.optimizer().isEmpty());
        this.precision = mixed.mixed() ? new RankPrecision(mixed, 0) : null;
        if (precision != null) {
            precision.requireSupported(layout);
        }
        this.master = precision != null ? params.dup() : params;
        java.util.Optional<DeepSpeedOptimizer> optimizer = DeepSpeedOptimizers.of(options, net);
        if (optimizer.isPresent()) {
            this.fused = new ResidentShardUpdate(optimizer.get(), master, ShardUpdater.flat(grads),
                    layout.lambTensors(0, layout.length(), null));
            this.pool = new KernelPool(1);
            this.updater = null;
        } else {
            this.updater = ShardUpdater.onDl4jState(layout, master, grads, dl4jState);
            this.fused = null;
            this.pool = null;
        }
        this.monitor = TrainingMonitor.open(mixed, options, net);
        this.repair = precision != null ? new ComputeCopyListener(params) : null;
        if (precision != null) {
            precision.beginFit(net, params);
            List<TrainingListener> ls = new ArrayList<>();
            ls.add(repair);
            ls.addAll(listeners(net));
            net.setListeners(ls);
        }
    }

    /**
     * @param net the network
     * @param grads its flat gradient view
     * @param dl4jState its DL4J updater state (used by the DL4J updaters; untouched with an optimizer section)
     * @param options the engine options
     * @param precision the mixed precision ({@link EnginePrecision#fp32()} for none) and {@code csv_monitor}
     * @return the step; with fp16 the network's loss functions are scaled until {@link #close()}
     */
    static LocalStep create(Model net, INDArray grads, INDArray dl4jState, EngineOptions options,
                            EnginePrecision precision) {
        return new LocalStep(net, grads, dl4jState, options, precision);
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
        guard.afterStep(); // once per step, after its forward and backward pass
        int applied = (int) (iteration - skipped);   // skipped steps advance neither updaters nor schedules
        double score = net.score();
        if (precision == null) {
            gradient.average(batchSize, 1.0);
            update(applied, epoch);
            monitor.afterStep(batchSize, score, applied, epoch, LossScale.of(io.ds4j.precision.Fp16Config
                    .defaults()), false);
            steps++;
            return;
        }
        LossScale used = precision.scale();
        boolean overflow = precision.store(gradView, batchSize);
        overflow |= precision.roundReduced(gradView);
        boolean skip = precision.afterStep(overflow);
        precision.beforeBackward();   // the next backward pass carries the next step's scale
        monitor.afterStep(batchSize, score, applied, epoch, used, skip);
        if (skip) {
            ShardUpdater.flat(gradView).assign(0);   // DL4J's params.subi(0) leaves the compute copy as it is
            skipped++;
            steps++;
            return;
        }
        gradient.average(1, 1);                  // the stored gradient is already the micro-batch mean
        gradient.scale(1.0 / used.value());      // unscaled into fp32 before clipping
        update(applied, epoch);
        leaveRoundedMaster();
        steps++;
    }

    /** Clips, normalises and updates {@link #master} (the parameters themselves in fp32) from the gradient. */
    private void update(int iteration, int epoch) {
        lastNorm = Math.sqrt(gradient.clipSumOfSquares());
        double multiplier = options.clipping().multiplier(lastNorm);
        if (fused != null) {
            INDArray before = master.dup();
            fused.apply(iteration, multiplier, pool);
            if (precision == null) {
                ShardUpdater.flat(gradView).assign(before.sub(params)); // DL4J subtracts it: params end at the new
                params.assign(before);                                  // value
            }
        } else {
            gradient.scale(multiplier);
            gradient.normalize(gradient.normalizationSumsOfSquares());
            updater.gradientToUpdate(iteration, epoch);
            if (precision != null) {
                master.subi(ShardUpdater.flat(gradView));
            }
        }
    }

    /**
     * Leaves {@code params - round16(master)} as the update, in fp32; elements whose fp32 subtraction by DL4J would
     * not land exactly on the rounded master are written by the {@link ComputeCopyListener} after it.
     */
    private void leaveRoundedMaster() {
        INDArray rounded = master.dup();
        precision.roundCompute(rounded);
        float[] p = params.toFloatVector();
        float[] r = rounded.toFloatVector();
        float[] u = new float[p.length];
        boolean inexact = updateLandingOn(p, r, u);
        ShardUpdater.flat(gradView).assign(Nd4j.createFromArray(u));
        repair.pending = inexact ? rounded : null;
        repaired += inexact ? 1 : 0;
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

    /** @return the loss scale of the next step (1 without fp16) */
    LossScale lossScale() {
        return precision == null ? LossScale.of(io.ds4j.precision.Fp16Config.defaults()) : precision.scale();
    }

    /**
     * Fills {@code u = p - r} in fp32 so that DL4J's {@code p - u} gives {@code r}.
     *
     * @return true when for some element {@code p - u != r} (bitwise) in fp32
     */
    static boolean updateLandingOn(float[] p, float[] r, float[] u) {
        boolean inexact = false;
        for (int i = 0; i < p.length; i++) {
            u[i] = p[i] - r[i];
            inexact |= Float.floatToRawIntBits(p[i] - u[i]) != Float.floatToRawIntBits(r[i]);
        }
        return inexact;
    }

    /** @return the applied steps after which DL4J's fp32 subtraction could not land exactly on the rounded master */
    long repairedSteps() {
        return repaired;
    }

    /** @return the checkpoint seam of this world of one (see {@link io.ds4j.dl4j.checkpoint.EngineState}) */
    io.ds4j.dl4j.checkpoint.EngineState checkpointState() {
        return new LocalState(this);
    }

    /** @return the config hash a checkpoint of this step records */
    String configHash() {
        return TrainerCheckpoints.configHash(options, config);
    }

    /** The whole flat vector is this rank's: one piece per canonical vector. */
    private record LocalState(LocalStep s) implements io.ds4j.dl4j.checkpoint.EngineState {
        @Override
        public int stage() {
            return s.options.zero().stage();
        }

        @Override
        public int worldSize() {
            return 1;
        }

        private int words() {
            return s.fused == null ? 0 : s.fused.stateWords();
        }

        @Override
        public String optimizerKind() {
            return TrainerState.optimizerKind(s.options, words());
        }

        @Override
        public java.util.Map<String, Long> vectorLengths() {
            return TrainerState.vectorLengths(FlatLayout.of(s.net), s.options, words());
        }

        @Override
        public List<io.ds4j.dl4j.checkpoint.RankShard> exportShards() {
            java.util.Map<String, List<io.ds4j.dl4j.checkpoint.StatePiece>> v = new java.util.HashMap<>();
            v.put(TrainerState.MASTER, List.of(new io.ds4j.dl4j.checkpoint.StatePiece(0, HostFloats.read(s.master))));
            if (s.updater != null) {
                float[] state = s.updater.state() == null ? new float[0] : HostFloats.read(s.updater.state());
                v.put(TrainerState.UPDATER, List.of(new io.ds4j.dl4j.checkpoint.StatePiece(0, state)));
            }
            for (int w = 0; w < words(); w++) {
                v.put(TrainerState.state(w), List.of(new io.ds4j.dl4j.checkpoint.StatePiece(0,
                        s.fused.stateWord(w).clone())));
            }
            return List.of(new io.ds4j.dl4j.checkpoint.RankShard(0, v));
        }

        @Override
        public void importShards(java.util.Map<String, float[]> full) {
            float[] m = full.get(TrainerState.MASTER);
            HostFloats.write(m, 0, s.master);
            if (s.precision != null) {
                HostFloats.write(m, 0, s.params);
                s.precision.roundCompute(s.params); // the network computes on the master's rounding
            }
            if (s.updater != null && s.updater.state() != null) {
                HostFloats.write(full.get(TrainerState.UPDATER), 0, s.updater.state());
            }
            for (int w = 0; w < words(); w++) {
                float[] word = s.fused.stateWord(w);
                System.arraycopy(full.get(TrainerState.state(w)), 0, word, 0, word.length);
            }
        }

        @Override
        public LossScale lossScale() {
            return s.lossScale();
        }

        @Override
        public void restoreLossScale(LossScale scale) {
            if (s.precision != null) {
                s.precision.restoreScale(scale);
                s.precision.beforeBackward(); // the next backward pass carries the loaded scale
            }
        }
    }

    /** @param n the steps skipped so far (a checkpoint's load: DL4J's iteration count includes them) */
    void restoreSkipped(long n) {
        skipped = n;
    }

    /** @return the number of steps skipped because their gradients overflowed */
    long skippedSteps() {
        return skipped;
    }

    /**
     * Releases the step; with mixed precision the network gets its own loss functions back, its parameters become
     * the fp32 master and the compute-copy listener is removed.
     */
    @Override
    public void close() {
        try {
            if (precision != null) {
                precision.endFit();
                params.assign(master);
                List<TrainingListener> ls = new ArrayList<>(listeners(net));
                ls.removeIf(l -> l == repair);
                net.setListeners(ls);
            }
            monitor.close();
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
    }

    private static java.util.Collection<TrainingListener> listeners(Model net) {
        java.util.Collection<TrainingListener> ls = net instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork m
                ? m.getListeners() : ((org.deeplearning4j.nn.graph.ComputationGraph) net).getListeners();
        return ls == null ? List.of() : ls;
    }

    /**
     * Placed first among the network's listeners: after DL4J's solver subtracted the update, writes the rounded master
     * into the parameters when the subtraction could not land on it exactly.
     */
    private static final class ComputeCopyListener extends BaseTrainingListener {
        private final INDArray params;
        private INDArray pending;

        ComputeCopyListener(INDArray params) {
            this.params = params;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            if (pending != null) {
                params.assign(pending);
                pending = null;
            }
        }
    }
}
