package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

/** The DeepSpeed optimizer/scheduler sections mapped onto DL4J updaters, and the refusals. */
class UpdaterMappingTest {

    private static UpdaterMapping.Mapped map(String json) {
        return UpdaterMapping.from(DeepSpeedConfig.parse(json));
    }

    @Test
    void adamWithWarmupLrFollowsDeepSpeedsLinearWarmup() {
        UpdaterMapping.Mapped m = map("{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\", \"params\":"
                + " {\"lr\": 0.01, \"betas\": [0.8, 0.99], \"eps\": 1e-6}}, \"scheduler\": {\"type\": \"WarmupLR\","
                + " \"params\": {\"warmup_min_lr\": 0.001, \"warmup_max_lr\": 0.01, \"warmup_num_steps\": 10,"
                + " \"warmup_type\": \"linear\"}}}");
        Adam a = (Adam) m.updater();
        assertEquals(0.8, a.getBeta1(), 0);
        assertEquals(0.99, a.getBeta2(), 0);
        assertEquals(1e-6, a.getEpsilon(), 0);
        // DeepSpeed linear warmup: lr(t) = min + (max - min) * t / n for t < n, max after; DL4J's update i
        // (0-based) uses DeepSpeed's t = i - 1, and t = -1 is clamped to the start (min).
        assertEquals(0.001, a.getLearningRate(0, 0), 1e-15);
        assertEquals(0.001 + 0.009 * 4 / 10.0, a.getLearningRate(5, 0), 1e-15);
        assertEquals(0.01, a.getLearningRate(11, 0), 1e-15);
        assertEquals(0.01, a.getLearningRate(500, 0), 1e-15);
    }

    @Test
    void adamIsDecoupledByDefaultAndL2WhenAdamWModeIsOff() {
        String base = "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01,"
                + " \"weight_decay\": 0.05%s}}}";
        UpdaterMapping.Mapped decoupled = map(String.format(base, ""));
        assertTrue(decoupled.decoupled());
        assertEquals(0.05, decoupled.weightDecay(), 0);
        UpdaterMapping.Mapped l2 = map(String.format(base, ", \"adam_w_mode\": false"));
        assertFalse(l2.decoupled());
        assertEquals(0.01, l2.updater().getLearningRate(0, 0), 0);
    }

    @Test
    void plainSgdMaps() {
        UpdaterMapping.Mapped m = map("{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"SGD\", \"params\":"
                + " {\"lr\": 0.1}}}");
        assertEquals(0.1, ((Sgd) m.updater()).getLearningRate(), 0);
    }

    @Test
    void unsupportedOptimizersAndParamsAreRefusedByKey() {
        DeepSpeedConfigException lamb = assertThrows(DeepSpeedConfigException.class, () -> map(
                "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.01}}}"));
        assertEquals("optimizer.type", lamb.path());
        assertTrue(lamb.getMessage().contains("Lamb") && lamb.getMessage().contains("Adam"), lamb.getMessage());
        DeepSpeedConfigException momentum = assertThrows(DeepSpeedConfigException.class, () -> map(
                "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"SGD\", \"params\": {\"lr\": 0.1,"
                        + " \"momentum\": 0.9}}}"));
        assertEquals("optimizer.params.momentum", momentum.path());
        DeepSpeedConfigException amsgrad = assertThrows(DeepSpeedConfigException.class, () -> map(
                "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"amsgrad\": true}}}"));
        assertEquals("optimizer.params.amsgrad", amsgrad.path());
    }

    @Test
    void oneCycleMomentumIsRefusedBecauseDl4jAdamHasNoBeta1Schedule() {
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class, () -> map(
                "{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}},"
                        + " \"scheduler\": {\"type\": \"OneCycle\", \"params\": {\"cycle_min_lr\": 0.001,"
                        + " \"cycle_max_lr\": 0.01, \"cycle_first_step_size\": 10}}}"));
        assertEquals("scheduler.params.cycle_momentum", e.path());
    }
}
