package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/**
 * {@code "auto"} scheduler params in the engine: with a DeepSpeed optimizer section and without (the network's DL4J
 * updater gets the schedule), warmup values resolve from the optimizer's lr; an {@code "auto"} total_num_steps, which
 * a trainer fed by an iterator cannot know, is refused by key before training.
 */
class SchedulerAutoEngineTest {

    private static final String WARMUP_AUTO = "\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\":"
            + " \"auto\", \"warmup_max_lr\": \"auto\", \"warmup_num_steps\": \"auto\"}}";

    @Test
    void autoWarmupTrainsWithAndWithoutAnOptimizerSection() {
        for (String optimizer : new String[] {"", "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}, "}) {
            MultiLayerNetwork net = TestNets.blobNet(1.0, org.nd4j.linalg.activations.Activation.TANH);
            float[] before = net.params().toFloatVector();
            DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 32, " + optimizer + WARMUP_AUTO
                    + "}");
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
                t.fit(new ExistingDataSetIterator(TestNets.BLOB_BATCHES.subList(0, 4)));
            }
            assertTrue(!java.util.Arrays.equals(before, net.params().toFloatVector()), "trained with " + optimizer);
        }
    }

    @Test
    void autoTotalStepsIsRefusedByKey() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 32, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.01}}, \"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\":"
                + " {\"total_num_steps\": \"auto\"}}}");
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                () -> ZeroTrainer.builder(TestNets.blobNet()).config(cfg).worldSize(2).build());
        assertEquals("scheduler.params.total_num_steps", e.path());
    }
}
