package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer runs its {@link ResidentGuard} after every step, at every stage: after 4 steps it has settled on the
 * process's measured resident set (its limit is that reading plus the slack, not unset), a slack of 0 leaves it off,
 * and a bad {@code ds4j.resident.slack} property fails {@code build()} and {@code DeepSpeed.initialize} naming it.
 * (The policy itself is {@link ResidentGuardTest}'s; what it does to a long run's resident memory is measured by
 * {@code bench memory --steps}, README.)
 */
class ResidentGuardTrainerTest {

    private static DeepSpeedConfig config(int stage) {
        return DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"gradient_accumulation_steps\": 1,"
                + " \"zero_optimization\": {\"stage\": " + stage + "}}");
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void theGuardSettlesOnTheMeasuredResidentSetAfterTheSteps(int stage) {
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.plainDenseMln(5)).config(config(stage)).worldSize(2)
                .build()) {
            assertEquals(Long.MAX_VALUE, t.residentGuard().limit(), "nothing measured before a step");
            t.fit(new ExistingDataSetIterator(TestNets.denseData(4, 8, 11)));
            long resident = org.bytedeco.javacpp.Pointer.physicalBytes();
            long limit = t.residentGuard().limit();
            assertTrue(limit < Long.MAX_VALUE, t.residentGuard().toString());
            // settled on readings of this process taken during the steps: within a slack of what it holds now
            assertTrue(limit >= (ResidentGuard.MIN_SLACK_MIB << 20) && limit <= resident * 2 + (64L << 20),
                    t.residentGuard() + ", resident now " + resident);
        }
    }

    @Test
    void aSlackOfZeroTurnsItOff() {
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.plainDenseMln(5)).config(config(3)).worldSize(2)
                .residentSlack(0).build()) {
            t.fit(new ExistingDataSetIterator(TestNets.denseData(4, 8, 11)));
            assertEquals(Long.MAX_VALUE, t.residentGuard().limit());
            assertEquals(0, t.residentGuard().collections());
        }
    }

    @Test
    void aBadSlackIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(TestNets.plainDenseMln(5)).residentSlack(-1));
        assertTrue(e.getMessage().startsWith("residentSlack: -1.0"), e.getMessage());
        String before = System.getProperty(ResidentGuard.PROPERTY);
        System.setProperty(ResidentGuard.PROPERTY, "lots");
        try {
            e = assertThrows(IllegalArgumentException.class,
                    () -> ZeroTrainer.builder(TestNets.plainDenseMln(5)).config(config(1)).worldSize(2).build());
            assertTrue(e.getMessage().contains("-Dds4j.resident.slack=lots"), e.getMessage());
            // DeepSpeed.initialize's step has a guard too: refused the same way, the network keeps DL4J's updater
            org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = TestNets.plainDenseMln(5);
            e = assertThrows(IllegalArgumentException.class, () -> DeepSpeed.initialize(net, EngineOptions.defaults()));
            assertTrue(e.getMessage().contains("-Dds4j.resident.slack=lots"), e.getMessage());
            assertTrue(!(net.getUpdater() instanceof EngineMultiLayerUpdater), String.valueOf(net.getUpdater()));
        } finally {
            if (before == null) {
                System.clearProperty(ResidentGuard.PROPERTY);
            } else {
                System.setProperty(ResidentGuard.PROPERTY, before);
            }
        }
    }
}
