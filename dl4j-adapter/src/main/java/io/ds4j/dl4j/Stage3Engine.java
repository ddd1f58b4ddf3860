package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.dl4j.stage3.Stage3Numerics;
import io.ds4j.dl4j.stage3.Stage3Trainer;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.step.ReductionScaling;
import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.precision.LossScale;
import io.ds4j.zero.ledger.LedgerSnapshot;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.api.Model;

/**
 * {@link ZeroTrainer} at {@code zero_optimization.stage: 3}: a {@link Stage3Trainer} over the trainer's own ranks,
 * fed the same micro-batches stages 0-2 get (rank r's m-th micro-batch is micro-batch {@code m * worldSize + r} of
 * the global batch, see {@link BatchFeed}). With ranks as processes ({@link ProcessFeed}) this process's rank trains
 * on its own micro-batches, and the user's network in every process receives the gathered parameters.
 *
 * <p>What stage 3 runs today: fp32, fp16 and bf16 (16-bit parameter shards, fp32 master shards, loss scaling and
 * skipped overflow steps as at stages 0-2), the network's own DL4J updaters or a DeepSpeed {@code optimizer} section
 * (fused kernel on the master shards, with its {@code scheduler}; Lamb with per-tensor norms) (and their
 * learning-rate schedules and regularization), {@code gradient_accumulation_steps}, {@code gradient_clipping}, the
 * stage-3 knobs, {@code offload_param} and {@code offload_optimizer} (cpu, nvme) and {@code csv_monitor}. Everything
 * else that would change the training is refused by {@link #open} with the key and the fix, rather than ignored.
 */
final class Stage3Engine implements StageEngine {
    private final Stage3Trainer trainer;
    private final List<? extends Collectives> comms; // this JVM's ranks: all, or this process's one
    private final Replica main;
    private final EngineOptions options;

    private Stage3Engine(Stage3Trainer trainer, List<? extends Collectives> comms, Replica main,
                         EngineOptions options) {
        this.trainer = trainer;
        this.comms = comms;
        this.main = main;
        this.options = options;
    }

    /**
     * The stage-3 engine for {@code options}; its rank threads live as long as the engine, each limited to
     * {@code threads} native threads.
     *
     * @throws DeepSpeedConfigException naming a key stage 3 cannot honour yet
     */
    static Stage3Engine open(Replica main, EngineOptions options, EnginePrecision precision,
                             List<? extends Collectives> comms, int threads) {
        refuseUnsupported(options, precision);
        Model net = main.net();
        // in place on the user's network where that applies (ranks as threads, fp32, offload_param none or, on the
        // CPU backend, cpu): the user's network holds the weights of the last step after every step anyway, so it
        // can hold them during it too
        Stage3Trainer t = Stage3Trainer.create(net, options.zero().stage3(), options.zero().offloadParam(), comms,
                new Stage3Numerics(precision, fusedUpdate(net, options), options.clipping()), true);
        Stage3Engine e = new Stage3Engine(t, comms, main, options);
        try {
            t.onEachRank(c -> {
                NativeThreads.limitCurrentThread(threads);
                return null;
            });
        } catch (RuntimeException ex) {
            e.close(); // parameter shards and their nvme files
            throw ex;
        }
        return e;
    }

    /**
     * The {@code optimizer} section (with its {@code scheduler}) as a fused kernel on the master shards, as stages
     * 0-2 run it ({@code ResidentShardUpdate}); null without the section.
     */
    private static PiecewiseShardUpdate fusedUpdate(Model net, EngineOptions options) {
        return DeepSpeedOptimizers.of(options, net)
                .map(o -> new PiecewiseShardUpdate(o, options.zero().offloadOptimizer())).orElse(null);
    }

    static void refuseUnsupported(EngineOptions options, EnginePrecision precision) {
        if (options.sections().scheduler().isPresent() && options.optimizer().isEmpty()) {
            throw refuse("scheduler", "a scheduler section without an optimizer section is not supported at stage 3"
                    + " yet; add an \"optimizer\" section, or set a learning-rate schedule on the network's DL4J"
                    + " updater instead, or use stage 0-2");
        }
        if (options.optimizer().isEmpty()) {
            // offloaded state needs DeepSpeed's optimizer, as at 1-2
            DeepSpeedOptimizers.requireNoOffload(options.zero());
        }
        if (!options.scaling().equals(ReductionScaling.DEFAULT)) {
            throw refuse(options.scaling().prescaleGradients() ? "prescale_gradients" : "gradient_predivide_factor",
                    "is not supported at stage 3 yet (its reduce-scatter averages after summing); use"
                            + " prescale_gradients false and gradient_predivide_factor 1.0, or stage 0-2");
        }
    }

    private static DeepSpeedConfigException refuse(String key, String why) {
        return new DeepSpeedConfigException(key, why);
    }

    /** Nothing to prepare: the ranks' layers hold their own loss functions for the trainer's life. */
    @Override
    public void beginFit() {
    }

    /** Nothing: the stage-3 trainer seeds its rank threads at every step. */
    @Override
    public void beginEpoch() {
    }

    /**
     * The ranks run inside the stage-3 trainer, the feed is read on the calling thread; after an applied step,
     * before the report, the user's network gets the gathered parameters, so a listener (a checkpoint) and any early
     * exit see the weights of the last step taken.
     */
    @Override
    public StepReport step(StepSource feed, int index, int iteration, int epoch, StepSink sink) {
        BatchFeed.Step step = feed.get(index);
        if (step == null) {
            return null;
        }
        LossScale used = trainer.lossScale();
        double score = step(step, iteration, epoch);
        boolean skipped = trainer.lastStepSkipped();
        if (!skipped && !PartitionedConstruction.applies(main.net())) { // built partitioned: see materialize
            copyParamsTo(main);
        }
        StepReport report = new StepReport(step.examples(), score, iteration, epoch, used, skipped);
        sink.afterStep(report);
        return report;
    }

    /** One optimizer step on {@code step}'s micro-batches of this JVM's ranks; returns the global batch's score. */
    private double step(BatchFeed.Step step, int iteration, int epoch) {
        List<List<org.nd4j.linalg.dataset.api.MultiDataSet>> perRank = new java.util.ArrayList<>();
        for (Collectives c : comms) {
            perRank.add(step.forRank(c.rank(), c.worldSize()));
        }
        return trainer.fit(perRank, step.examples(), iteration, epoch);
    }

    /** Nothing to put back: the user's network got the gathered fp32 parameters after every step taken. */
    @Override
    public void endFit() {
    }

    /**
     * A MultiLayerNetwork built partitioned ({@link PartitionedConstruction}: not initialised when given to the
     * builder) is initialised now, its full flat vector allocated for the first time, and gets the trained
     * parameters; from then on it receives them after every step, as an initialised network does.
     */
    @Override
    public void materialize(Replica user) {
        if (PartitionedConstruction.applies(user.net())) {
            MultiLayerNetwork m = (MultiLayerNetwork) user.net();
            int iteration = m.getIterationCount();
            m.init();
            trainer.writeParamsTo(m);
            m.setIterationCount(iteration);
        }
    }

    /** The gathered fp32 parameters into the user's network. */
    @Override
    public void copyParamsTo(Replica user) {
        trainer.writeParamsTo(user.net());
    }

    @Override
    public LossScale lossScale() {
        return trainer.lossScale();
    }

    @Override
    public boolean lastStepSkipped() {
        return trainer.lastStepSkipped();
    }

    @Override
    public double lastGradientNorm() {
        return trainer.lastGradientNorm();
    }

    @Override
    public double flushedGradientFraction() {
        return trainer.flushedGradientFraction();
    }

    @Override
    public List<LedgerSnapshot> memoryReport() {
        return trainer.memoryReport();
    }

    /**
     * Each rank's owned parts of every tensor's master and optimizer state, wherever they live ({@link Stage3State}).
     */
    @Override
    public EngineState checkpointState(Replica user) {
        return new Stage3State(trainer, options, FlatLayout.of(user.net()));
    }

    /** @return the trainer */
    Stage3Trainer trainer() {
        return trainer;
    }

    @Override
    public void close() {
        trainer.close();
    }
}
