package io.ds4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example runs (one or two passes over the 1437 training images) and does what its documentation says. */
class ExamplesTest {
    /** Steps of one pass at batch b: the last, partial batch is a step too. */
    private static long steps(int batch) {
        return (1437 + batch - 1) / batch;
    }

    @Test
    void graphFitRunsDs4jsStepInsideDl4jFit() {
        GraphFitExample.Result r = GraphFitExample.run(1);
        assertEquals(steps(32), r.engineSteps());
        assertTrue(r.lossAfter() < 0.5 * r.lossBefore(), r.toString());
        assertTrue(r.accuracy() > 0.8, r.toString());
    }

    @Test
    void zeroTrainerWithTwoRanksTrainsAndKeepsALedgerPerRank() {
        ZeroTrainerExample.Result r = ZeroTrainerExample.run(2);
        assertTrue(r.lossAfter() < 0.5 * r.lossBefore(), r.toString());
        assertTrue(r.accuracy() > 0.8, r.toString());
        assertEquals(2, r.ledgers().size());
        assertTrue(r.bytesMoved() > 0);
    }

    @Test
    void fp16WithZeroTwoAndCpuOffloadTrains() {
        Fp16OffloadExample.Result r = Fp16OffloadExample.run(2);
        assertTrue(r.refusal().isEmpty(), () -> "refused: " + r.refusal().get().getMessage());
        assertTrue(r.lossAfter() < 0.5 * r.lossBefore(), r.toString());
        // dynamic loss scale: starts at 2^16 and is only ever halved (overflow) or doubled (after 1000 clean steps,
        // more than the 46 here), so it stays a power of two no larger than 2^16, halved at most once per skip
        double log2 = Math.log(r.lossScale()) / Math.log(2);
        assertEquals(Math.rint(log2), log2, 1e-12);
        assertTrue(log2 <= 16 && log2 >= 16 - r.skippedSteps(), r.toString());
    }

    @Test
    void multiLayerNetworkFollowsWarmupDecayLrAndKeepsItThroughSerialization(@TempDir File dir) throws Exception {
        ScheduleExample.Result r = ScheduleExample.run(2);
        assertTrue(r.lossAfter() < 0.5 * r.lossBefore(), r.toString());
        int i = r.net().getIterationCount();
        assertEquals(2 * steps(32), i);
        // DeepSpeed WarmupDecayLR past warmup: lr(t) = max * (total - t) / (total - warmup); DL4J's next update
        // (iteration i) uses t = i - 1. Here max 3e-3, warmup 20, total 200.
        double expected = 3e-3 * (200 - (i - 1)) / (200.0 - 20);
        assertEquals(expected, lr(r.net(), i), 1e-15);
        File zip = new File(dir, "mln.zip");
        ModelSerializer.writeModel(r.net(), zip, true);
        MultiLayerNetwork restored = MultiLayerNetwork.load(zip, true);
        assertEquals(expected, lr(restored, i), 1e-15);
    }

    private static double lr(MultiLayerNetwork net, int iteration) {
        return net.getLayerWiseConfigurations().getConf(0).getLayer().getUpdaterByParam("W")
                .getLearningRate(iteration, 0);
    }
}
