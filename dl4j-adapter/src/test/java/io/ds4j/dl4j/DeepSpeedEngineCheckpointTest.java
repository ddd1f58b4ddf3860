package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Checkpoints of the world of one inside DL4J's own {@code fit()}: K steps, save, K more, against a network of other
 * weights that loads the checkpoint and fits the same last K batches: parameters, DL4J updater or DeepSpeed optimizer
 * state, loss scale and skipped steps are bit-identical.
 */
class DeepSpeedEngineCheckpointTest {

    private static final int K = 4;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "stage {0} {1} DS-Adam {2}")
    @CsvSource({"0, fp16, false", "2, bf16, true", "1, fp32, false"})
    void resumeInsideFitIsBitIdentical(int stage, String precision, boolean dsAdam) {
        CheckpointCases.Case c = new CheckpointCases.Case(stage, precision, "none", dsAdam, 1);
        DeepSpeedConfig config = DeepSpeedConfig.parse(c.json(tmp));
        List<DataSet> data = CheckpointCases.data(2 * K);
        MultiLayerNetwork straight = c.net(1);
        String scale;
        long skipped;
        try (DeepSpeedEngine e = DeepSpeed.initialize(straight, config)) {
            straight.fit(new ExistingDataSetIterator(data.subList(0, K)));
            e.saveCheckpoint(tmp.resolve("ck"), "k");
            straight.fit(new ExistingDataSetIterator(data.subList(K, 2 * K)));
            scale = e.lossScale().toString();
            skipped = e.skippedSteps();
        }
        MultiLayerNetwork resumed = c.net(2);
        try (DeepSpeedEngine e = DeepSpeed.initialize(resumed, config)) {
            assertEquals(1, e.loadCheckpoint(tmp.resolve("ck")).epoch());
            resumed.fit(new ExistingDataSetIterator(data.subList(K, 2 * K)));
            assertEquals(scale, e.lossScale().toString(), "loss-scale state");
            assertEquals(skipped, e.skippedSteps());
        }
        assertArrayEquals(straight.params().toFloatVector(), resumed.params().toFloatVector(), "parameters");
        assertArrayEquals(straight.getUpdater().getStateViewArray().toFloatVector(),
                resumed.getUpdater().getStateViewArray().toFloatVector(), "DL4J updater state");
        assertEquals(straight.getIterationCount(), resumed.getIterationCount());
        if (precision.equals("fp16")) {
            assertTrue(skipped > 0 && skipped < 2 * K, "some steps overflowed, some did not: " + skipped);
        }
    }
}
