package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * A {@code scheduler} section without an {@code optimizer} section drives the network's own DL4J updaters. Golden
 * values from DeepSpeed's {@code WarmupLR} (linear): {@code lr = min + (max - min) * it / N} for scheduler iteration
 * {@code it < N}, else max; the scheduler writes {@code lr(-1) = min} at construction, which the first update uses, so
 * DL4J iteration {@code i} trains with {@code lr(i - 1)}. Here min 0, max 0.1, N 4.
 */
class ScheduleInstallTest {

    private static final String CONFIG = "{\"train_batch_size\": 8, \"gradient_clipping\": 0, \"scheduler\":"
            + " {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0, \"warmup_max_lr\": 0.1,"
            + " \"warmup_num_steps\": 4, \"warmup_type\": \"linear\"}}}";

    @Test
    void warmupReachesTheDl4jUpdaterAndIsUndoneOnClose() {
        MultiLayerNetwork net = TestNets.sgdMln(2, new Sgd(0.05));
        IUpdater u = net.getLayer(0).conf().getLayer().getUpdaterByParam("W");
        double[] want = {0.0, 0.0, 0.025, 0.05, 0.075, 0.1, 0.1};
        List<DataSet> data = TestNets.denseData(3, 8, 4);
        float[] start = net.params().toFloatVector();
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, DeepSpeedConfig.parse(CONFIG))) {
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], u.getLearningRate(i, 0), 1e-12, "lr at DL4J iteration " + i);
            }
            net.fit(data.get(0));
            net.fit(data.get(1));
            assertArrayEquals(start, net.params().toFloatVector(), "lr is 0 for the first two updates");
            net.fit(data.get(2));
            float[] after = net.params().toFloatVector();
            double moved = 0;
            for (int i = 0; i < after.length; i++) {
                moved = Math.max(moved, Math.abs(after[i] - start[i]));
            }
            assertTrue(moved > 1e-4, "the third update uses lr 0.025");
        }
        assertEquals(0.05, u.getLearningRate(3, 0), 0.0, "close() restores the updater's own learning rate");
    }
}
