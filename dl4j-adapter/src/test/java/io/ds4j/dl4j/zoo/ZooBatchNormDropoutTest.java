package io.ds4j.dl4j.zoo;

import static io.ds4j.dl4j.zoo.ZooParityTest.PARITY;
import static io.ds4j.dl4j.zoo.ZooParityTest.fit;
import static io.ds4j.dl4j.zoo.ZooParityTest.rel;
import static io.ds4j.dl4j.zoo.ZooParityTest.zero;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two zoo semantics that cannot equal plain {@code fit()} on the global batch, checked against what data-parallel
 * training (DeepSpeed, DDP) defines instead (issue 18). Measure and tolerance: {@link ZooParityTest}'s.
 *
 * <p><b>BatchNorm</b> (Darknet19): each rank normalises its micro-batch with that micro-batch's own mean and
 * variance (no SyncBN, as DDP and DeepSpeed without SyncBatchNorm), and the running statistics move by the mean of
 * the ranks' moves ({@code BatchNormRanksTest} derives that). So 2 ranks of 4 examples train exactly what one rank
 * accumulating 2 micro-batches of 4 trains ({@code gradient_accumulation_steps: 2}, the same micro-batches), and that
 * one rank without accumulation trains exactly {@code fit()}; both are checked, and so is that 2 ranks do differ from
 * {@code fit()} on the batch of 8 by far more than the tolerance (the per-rank statistics are a different training).
 * Measured (2 steps, batch 8, 32x32): 2 ranks vs 1 rank x 2 micro-batches rel 0 (bit-identical) at stages 0-3 when
 * both run one native thread per rank; 2 ranks vs {@code fit()} rel 5.8e-2.
 *
 * <p><b>Dropout</b> (SqueezeNet's {@code drop9}): {@code fit()} draws one mask for the global batch from the calling
 * thread's ND4J generator (seeded by {@code net.init()}); each rank draws its micro-batch's masks from its own
 * thread's generator, seeded from the caller's generator and the rank ({@code RankRandom}): reproducible, independent
 * per rank, never {@code fit()}'s masks. The check: ZeRO's distance to {@code fit()} is of the order of the distance
 * between two {@code fit()} runs whose masks differ (another generator seed), i.e. the training differs only by
 * which masks were drawn. Measured (3 steps, batch 8, 32x32): ZeRO stage 1 vs {@code fit()} rel 5.1e-3 (stage 3:
 * 5.2e-3), {@code fit()} vs {@code fit()} with other masks 5.4e-3; the bound is 3x the latter.
 */
class ZooBatchNormDropoutTest {

    static final int WORLD = 2;

    static Model darknet() {
        return Darknet19.builder().numClasses(3).inputShape(new int[] {3, 32, 32}).build().init();
    }

    /**
     * Stage 1 against one rank accumulating the same micro-batches, one step (Darknet19 has 20M parameters at any
     * input size). The next test adds the other stages, the link from one rank to {@code fit()} and that 2 ranks
     * differ from {@code fit()}.
     */
    @Test
    void batchNormTrainsAsDataParallelWithPerRankStatistics() {
        List<DataSet> data = ZooData.images(1, 8, new int[] {3, 32, 32}, 3, 5);
        float[] accumulated = zero(darknet(), data, 0, 1, 2, 1);
        double r = rel(zero(darknet(), data, 1, WORLD, 1, 1), accumulated);
        assertTrue(r <= PARITY, "stage 1: rel " + r + " to one rank accumulating the same micro-batches");
    }

    @Test
    void batchNormAtEveryStageAndAgainstFit() {
        List<DataSet> data = ZooData.images(2, 8, new int[] {3, 32, 32}, 3, 5);
        Model reference = darknet();
        fit(reference, data);
        float[] plain = reference.params().toFloatVector();
        double oneRank = rel(zero(darknet(), data, 0, 1, 1), plain);
        assertTrue(oneRank <= PARITY, "one rank vs fit(): rel " + oneRank);
        // one native thread per rank in both: with BatchNorm over 4 values a channel (1x1 maps in the last blocks),
        // the ulps that another thread count's reduction order changes grew to rel 5.6e-3 in 2 steps (measured);
        // with equal thread counts the runs are bit-identical (measured rel 0 at stages 0-3)
        float[] accumulated = zero(darknet(), data, 0, 1, 2, 1);
        for (int stage = 0; stage <= 3; stage++) {
            float[] ranks = zero(darknet(), data, stage, WORLD, 1, 1);
            double r = rel(ranks, accumulated);
            double fromFit = rel(ranks, plain);
            assertTrue(r <= PARITY, "stage " + stage + ": rel " + r + " to one rank accumulating the same micro-batches");
            assertTrue(fromFit > 10 * PARITY, "per-rank statistics must make a difference to fit(): " + fromFit);
        }
    }

    @Test
    void dropoutDiffersFromFitOnlyByTheMasksDrawn() {
        List<DataSet> data = ZooData.images(3, 8, new int[] {3, 32, 32}, 3, 3);
        Supplier<Model> make = () -> SqueezeNet.builder().numClasses(3).inputShape(new int[] {3, 32, 32}).build()
                .init();
        Model a = make.get(); // init() seeds this thread's generator: fit() draws its masks from there
        fit(a, data);
        float[] fitA = a.params().toFloatVector();
        Model b = make.get();
        Nd4j.getRandom().setSeed(99); // other masks, same everything else
        fit(b, data);
        double maskEffect = rel(b.params().toFloatVector(), fitA);
        assertTrue(maskEffect > 10 * PARITY, "dropout must matter for the check to mean anything: " + maskEffect);
        for (int stage = 0; stage <= 3; stage++) { // every stage draws its masks through RankRandom
            double r = rel(zero(make.get(), data, stage, WORLD, 1), fitA);
            System.out.printf("zoo dropout stage %d: rel to fit() %.3e; fit() with other masks %.3e%n", stage, r,
                    maskEffect);
            assertTrue(r <= 3 * maskEffect, "stage " + stage + ": rel " + r + " vs mask effect " + maskEffect);
        }
    }
}
