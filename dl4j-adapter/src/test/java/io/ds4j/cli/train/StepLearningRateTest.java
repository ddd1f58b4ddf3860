package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;

/** The learning rate shown per step, against DeepSpeed's formulas. */
class StepLearningRateTest {
    private static final String WARMUP = "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\", \"params\":"
            + " {\"lr\": 0.01}}, \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0.001,"
            + " \"warmup_max_lr\": 0.01, \"warmup_num_steps\": 10, \"warmup_type\": \"linear\"}}}";

    @Test
    void warmupLrFollowsDeepSpeedsStepOrder() {
        StepLearningRate.Source lr = StepLearningRate.of(DeepSpeedConfig.parse(WARMUP),
                DigitsModel.build(new Adam(1e-3), 1));
        // DeepSpeed WarmupLR, linear: lr(t) = min + (max - min) * t / n for 0 <= t < n, max after, min for t = -1
        // (the value written at construction). Update k (from 1) uses lr(k - 2); DL4J's iteration i = k - 1.
        assertEquals(0.001, lr.at(0, 0), 1e-15);
        assertEquals(0.001, lr.at(1, 0), 1e-15);
        assertEquals(0.001 + 0.009 * 4 / 10.0, lr.at(5, 0), 1e-15);
        assertEquals(0.01, lr.at(11, 0), 1e-15);
        assertEquals(0.01, lr.at(1000, 0), 1e-15);
    }

    @Test
    void constantWithoutSchedulerAndTheNetworksOwnWithoutOptimizer() {
        StepLearningRate.Source constant = StepLearningRate.of(DeepSpeedConfig.parse("{\"train_batch_size\": 8,"
                + " \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.02}}}"), DigitsModel.build(
                        new Adam(1e-3), 1));
        assertEquals(0.02, constant.at(7, 0), 0);
        StepLearningRate.Source own = StepLearningRate.of(DeepSpeedConfig.parse("{\"train_batch_size\": 8}"),
                DigitsModel.build(new Adam(0.005), 1));
        assertEquals(0.005, own.at(3, 0), 0);
    }

    @Test
    void describeNamesTheOptimizerAndTheScheduler() {
        String d = StepLearningRate.describe(DeepSpeedConfig.parse(WARMUP));
        assertTrue(d.startsWith("Adam {lr=0.01}") && d.contains("scheduler WarmupLR"), d);
    }
}
