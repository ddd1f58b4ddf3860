package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * The host transfer around an offloaded step: on the CPU backend it copies nothing; the staged (CUDA) path copies
 * down and up and gives bit-identical results; with 16-bit gradients and compute copy it moves 2 + 2 bytes per element
 * (ZeRO-Offload's 4 Psi).
 */
class HostTransferTest extends PooledStoreTest {
    private static final int N = 300;

    private float[][] run(HostTransfer.Mode mode, MemoryLedger ledger, long[] traffic) {
        short[] grads16 = new short[N];
        float[] g = OffloadFixture.random(5, N, 0.1f);
        new ThrowingCodec(Long.MAX_VALUE).encode(g, 0, grads16, 0, N);
        short[] copy16 = new short[N];
        float[] master = new float[N];
        OffloadOptimizerConfig c = OffloadFixture.nvme(nvme, 6, true, false, 1.0);
        try (OptimizerStateStore store = OptimizerStores.open(c, new StoreRequest(0, N, 2, 32, ledger));
                HostTransfer transfer = new HostTransfer(mode, ledger)) {
            store.initialize(VectorStorage.of(OffloadFixture.random(6, N, 1f)));
            ThrowingCodec codec = new ThrowingCodec(Long.MAX_VALUE);
            for (int t = 1; t <= 3; t++) {
                StepInput in = new StepInput(VectorStorage.of(grads16, 0, N, codec), new StepArgs(t, 0.01f, 0.5f),
                        VectorStorage.of(copy16, 0, N, codec));
                transfer.step(store, FusedAdam.deepSpeedDefaults(), in, pool);
            }
            traffic[0] = transfer.lastStep().down();
            traffic[1] = transfer.lastStep().up();
            store.readMaster(master, 0);
        }
        float[] copy = new float[N];
        new ThrowingCodec(Long.MAX_VALUE).decode(copy16, 0, copy, 0, N, 1f);
        return new float[][] {master, copy};
    }

    @Test
    void sharedPassesThroughAndStagedCopiesWithTheSameResult() {
        MemoryLedger shared = new MemoryLedger(0);
        long[] sharedTraffic = new long[2];
        float[][] a = run(HostTransfer.Mode.SHARED, shared, sharedTraffic);
        MemoryLedger staged = new MemoryLedger(0);
        long[] stagedTraffic = new long[2];
        float[][] b = run(HostTransfer.Mode.STAGED, staged, stagedTraffic);
        assertArrayEquals(a[0], b[0], "master");
        assertArrayEquals(a[1], b[1], "compute copy");
        assertEquals(0, sharedTraffic[0] + sharedTraffic[1], "CPU backend: nothing copied");
        long slots = 2 * (3 * 32 * 4 + 32); // read-ahead: 2 slots of (master + 2 state) x 32 floats + a header
        assertEquals(slots, shared.snapshot().peakBytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST),
                "shared: only the nvme swap slots");
        assertEquals(2L * N, stagedTraffic[0], "16-bit gradients down: 2 bytes per element");
        assertEquals(2L * N, stagedTraffic[1], "16-bit parameters up: 2 bytes per element");
        assertEquals(slots + 2L * N * 4, staged.snapshot().peakBytes(MemoryCategory.OFFLOAD_BUFFERS,
                MemoryTier.HOST), "staged: the slots and two fp32 host staging buffers");
    }

    @Test
    void theCpuBackendSharesMemory() {
        try (HostTransfer t = HostTransfer.forCurrentBackend(new MemoryLedger(0))) {
            assertEquals(HostTransfer.Mode.SHARED, t.mode());
        }
    }
}
