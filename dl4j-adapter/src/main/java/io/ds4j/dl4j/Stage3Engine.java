package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.dl4j.stage3.FusedShardUpdate;
import io.ds4j.dl4j.stage3.Stage3Numerics;
import io.ds4j.dl4j.stage3.Stage3Trainer;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.step.ReductionScaling;
import java.util.List;
import org.deeplearning4j.nn.api.Model;

/**
 * {@link ZeroTrainer} at {@code zero_optimization.stage: 3}: a {@link Stage3Trainer} over the trainer's own ranks,
 * fed the same micro-batches stages 0-2 get (rank r's m-th micro-batch is micro-batch {@code m * worldSize + r} of
 * the global batch, see {@link BatchFeed}).
 *
 * <p>What stage 3 runs today: fp32, fp16 and bf16 (16-bit parameter shards, fp32 master shards, loss scaling and
 * skipped overflow steps as at stages 0-2), the network's own DL4J updaters or a DeepSpeed {@code optimizer} section
 * (fused kernel on the master shards, with its {@code scheduler}; Lamb with per-tensor norms) (and their
 * learning-rate schedules and regularization), {@code gradient_accumulation_steps}, {@code gradient_clipping}, the
 * stage-3 knobs, {@code offload_param} and {@code offload_optimizer} (cpu, nvme) and {@code csv_monitor}. Everything else that would change the training is
 * refused by {@link #open} with the key and the fix, rather than ignored.
 */
final class Stage3Engine implements AutoCloseable {
    private final Stage3Trainer trainer;

    private Stage3Engine(Stage3Trainer trainer) {
        this.trainer = trainer;
    }

    /**
     * The stage-3 engine for {@code options}, or null below stage 3.
     *
     * @throws DeepSpeedConfigException naming a key stage 3 cannot honour yet
     */
    static Stage3Engine openIfStage3(Model net, EngineOptions options, EnginePrecision precision,
                                     List<? extends Collectives> comms) {
        if (options.zero().stage() != 3) {
            return null;
        }
        refuseUnsupported(options, precision);
        Stage3Trainer t = Stage3Trainer.create(net, options.zero().stage3(), options.zero().offloadParam(), comms,
                        new Stage3Numerics(precision, fusedUpdate(net, options)))
                .gradientClipping(options.clipping())
                .gradientAccumulationSteps(options.gradientAccumulationSteps());
        return new Stage3Engine(t);
    }

    /**
     * The {@code optimizer} section (with its {@code scheduler}) as a fused kernel on the master shards, as stages
     * 0-2 run it ({@code ResidentShardUpdate}); null without the section.
     */
    private static FusedShardUpdate fusedUpdate(Model net, EngineOptions options) {
        return DeepSpeedOptimizers.of(options, net)
                .map(o -> new FusedShardUpdate(o, options.zero().offloadOptimizer())).orElse(null);
    }

    static void refuseUnsupported(EngineOptions options, EnginePrecision precision) {
        if (options.sections().scheduler().isPresent() && options.optimizer().isEmpty()) {
            throw refuse("scheduler", "a scheduler section without an optimizer section is not supported at stage 3"
                    + " yet; add an \"optimizer\" section, or set a learning-rate schedule on the network's DL4J"
                    + " updater instead, or use stage 0-2");
        }
        if (options.optimizer().isEmpty()) {
            RankWorker.requireNoOffload(options.zero()); // offloaded state needs DeepSpeed's optimizer, as at 1-2
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

    /** One optimizer step on {@code step}'s micro-batches; returns the global batch's score. */
    double step(BatchFeed.Step step, int worldSize, int iteration, int epoch) {
        List<List<org.nd4j.linalg.dataset.api.MultiDataSet>> perRank = new java.util.ArrayList<>();
        for (int r = 0; r < worldSize; r++) {
            perRank.add(step.forRank(r, worldSize));
        }
        return trainer.fit(perRank, step.examples(), iteration, epoch);
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
