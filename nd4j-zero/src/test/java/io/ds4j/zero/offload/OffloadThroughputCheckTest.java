package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * Measurement, not a unit test (tag {@code heavy}, left out of CI): Adam over 16M elements in sub-groups of 1M on
 * the device, host and nvme stores (nvme synchronous and pipelined), printing step elements/s (initialization not
 * timed) and resident host bytes.
 * Asserts only that the results agree and the resident bound holds; timings are printed, never asserted.
 * Run with {@code mvn -pl nd4j-zero test -Dtest=OffloadThroughputCheckTest -DexcludedTestGroups=none}.
 */
@Tag("heavy")
class OffloadThroughputCheckTest {
    private static final int N = 16 << 20;
    private static final int SUB = 1 << 20;
    private static final int STEPS = 3;

    @TempDir
    Path nvme;

    @Test
    void measure() {
        float[] init = OffloadFixture.random(1, N, 1f);
        float[] grads = OffloadFixture.random(2, N, 0.1f);
        float[] reference = null;
        try (KernelPool pool = KernelPool.withAvailableProcessors()) {
            for (String name : new String[] {"device", "cpu", "nvme-sync", "nvme-pipelined"}) {
                OffloadOptimizerConfig c = switch (name) {
                    case "device" -> OffloadOptimizerConfig.none();
                    case "cpu" -> OffloadOptimizerConfig.onDevice(io.ds4j.zero.config.OffloadDevice.CPU);
                    case "nvme-sync" -> OffloadFixture.nvme(nvme, 4, false, false, 1);
                    default -> OffloadFixture.nvme(nvme, 9, true, true, 1);
                };
                MemoryLedger ledger = new MemoryLedger(0);
                try (OptimizerStateStore store = OptimizerStores.open(c, new StoreRequest(0, N, 2, SUB, ledger))) {
                    float[] copy = new float[N];
                    store.initialize(VectorStorage.of(init));
                    long t0 = System.nanoTime();
                    for (int t = 1; t <= STEPS; t++) {
                        store.step(FusedAdam.deepSpeedDefaults(), new StepInput(VectorStorage.of(grads),
                                OffloadFixture.args(t), VectorStorage.of(copy)), pool);
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    long host = ledger.snapshot().tierPeakBytes(MemoryTier.HOST);
                    System.out.printf(Locale.ROOT, "offload %-15s %7.1f M elements/s (%d Adam steps of %d)  host peak"
                            + " %,d B%n", name, (double) N * STEPS / s / 1e6, STEPS, N, host);
                    if (store instanceof NvmeStore n) {
                        assertTrue(host <= n.bufferBudgetBytes() + 32L * n.slotCount());
                    }
                    if (reference == null) {
                        reference = copy;
                    } else {
                        assertArrayEquals(reference, copy, name);
                    }
                }
            }
        }
    }
}
