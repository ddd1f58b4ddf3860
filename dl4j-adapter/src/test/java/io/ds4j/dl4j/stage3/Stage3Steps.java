package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.RankBatches;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import java.time.Duration;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Feeds a {@link Stage3Trainer} in a test as {@code Stage3Engine} does in the product: each global batch split by
 * the product's split ({@link RankBatches}) into {@code gas} micro-batches per rank, and the step's iteration count as
 * the engine counts it (from 0, the networks of these tests being fresh; a skipped step advances nothing), epoch 0.
 */
final class Stage3Steps {
    private final Stage3Trainer trainer;
    private final int gas;
    private int iteration;

    /**
     * @param trainer a trainer whose ranks all run in this JVM
     * @param gas     {@code gradient_accumulation_steps}
     */
    Stage3Steps(Stage3Trainer trainer, int gas) {
        this.trainer = trainer;
        this.gas = gas;
    }

    /** A trainer over {@code world} in-process ranks: fp32 with the network's DL4J updaters, no offload. */
    static Stage3Trainer open(Model net, ZeroStage3Config knobs, int world) {
        return Stage3Trainer.create(net, knobs, OffloadParamConfig.none(),
                InProcessCollectives.create(world, Duration.ofMinutes(5)), Stage3Numerics.fp32());
    }

    /** One optimizer step on {@code batch}; @return the trainer's score of it */
    double fit(DataSet batch) {
        double score = trainer.fit(RankBatches.perRank(batch, trainer.worldSize(), gas), batch.numExamples(),
                iteration, 0);
        iteration += trainer.lastStepSkipped() ? 0 : 1;
        return score;
    }
}
