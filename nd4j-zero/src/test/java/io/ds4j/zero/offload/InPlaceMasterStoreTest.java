package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A store opened on the caller's fp32 memory ({@link OptimizerStores#openInPlace}) steps that memory itself: after
 * the same steps the memory holds, bit for bit, the master of one kernel call per step over heap arrays, the state
 * matches too, and the store holds no master of its own: no {@code MASTER_WEIGHTS} entry on any tier, and with nvme
 * files and swap slots of the state vectors only (their lengths measured from the files and the slots' buffers).
 */
class InPlaceMasterStoreTest extends PooledStoreTest {
    static Stream<Arguments> cases() {
        return Arrays.stream(OffloadFixture.Optimizer.values())
                .flatMap(o -> Arrays.stream(OffloadFixture.Kind.values())
                        .filter(k -> k != OffloadFixture.Kind.CPU_DIRECT).map(k -> Arguments.of(o, k)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void theCallersMemoryIsTheMasterBitForBitAndNoCopyIsHeld(OffloadFixture.Optimizer o, OffloadFixture.Kind kind)
            throws IOException {
        int n = OffloadParityTest.N;
        float[] init = OffloadFixture.random(99, n, 1f);
        OffloadFixture.Result expected = OffloadFixture.reference(o.kernel, init, OffloadParityTest.STEPS, pool);
        MemoryLedger ledger = new MemoryLedger(0);
        StoreRequest request = new StoreRequest(0, n, o.kernel.stateWords(), OffloadParityTest.SUB_GROUP, ledger);
        float[] params = init.clone();
        try (OptimizerStateStore store = OptimizerStores.openInPlace(kind.config(nvme), request,
                VectorStorage.of(params))) {
            store.initialize(VectorStorage.of(params));
            for (int t = 1; t <= OffloadParityTest.STEPS; t++) {
                HeapFp32 g = VectorStorage.of(OffloadFixture.random(t, n, 0.1f));
                store.step(o.kernel, new StepInput(g, OffloadFixture.args(t), null), pool);
            }
            assertArrayEquals(expected.master(), params, o + " on " + kind + ": the stepped memory");
            expected.assertBitIdentical(store, expected.computeCopy(), o + " on " + kind);
            if (kind.name().startsWith("NVME")) {
                Path file;
                try (Stream<Path> files = Files.list(((NvmeStore) store).directory())) {
                    file = files.sorted().findFirst().orElseThrow();
                }
                assertEquals(SwapFile.HEADER_BYTES + 4L * o.kernel.stateWords() * OffloadParityTest.SUB_GROUP,
                        Files.size(file), "a sub-group's file holds its state vectors only");
            }
        }
        LedgerSnapshot s = ledger.snapshot();
        for (MemoryTier t : MemoryTier.values()) {
            assertEquals(0, s.peakBytes(MemoryCategory.MASTER_WEIGHTS, t), "no master copy on " + t);
            assertEquals(0, s.tierBytes(t), "bytes still recorded on " + t + " after close");
        }
    }

    /**
     * nvme with DeepSpeed's default {@code buffer_count} 4 and Adam: a copied master needs 3 buffers a sub-group, so
     * one slot of 3; in place 2, so the slot is two thirds as long, measured as the slot's own buffer capacity.
     */
    @Test
    void nvmeSwapSlotsCarryTheStateOnly() {
        FusedAdam adam = FusedAdam.deepSpeedDefaults();
        int n = 5000;
        int sub = 1000;
        float[] params = OffloadFixture.random(1, n, 1f);
        MemoryLedger copied = new MemoryLedger(0);
        MemoryLedger inPlace = new MemoryLedger(1);
        var config = OffloadFixture.nvme(nvme, 4, false, false, 1.0);
        try (NvmeStore a = (NvmeStore) OptimizerStores.open(config, new StoreRequest(0, n, 2, sub, copied));
                NvmeStore b = (NvmeStore) OptimizerStores.openInPlace(config, new StoreRequest(1, n, 2, sub, inPlace),
                        VectorStorage.of(params))) {
            assertEquals(1, a.slotCount());
            assertEquals(1, b.slotCount());
            assertEquals(3L * sub * 4 + SwapFile.HEADER_BYTES, a.residentBytes(), "master + 2 moments");
            assertEquals(2L * sub * 4 + SwapFile.HEADER_BYTES, b.residentBytes(), "the 2 moments only");
            assertTrue(b.masterInPlace());
            assertEquals(b.residentBytes(), inPlace.snapshot().bytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST));
            assertEquals(8L * n, inPlace.snapshot().bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DISK));
            assertEquals(0, inPlace.snapshot().bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DISK));
            assertEquals(4L * n, copied.snapshot().bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DISK));
        }
    }

    @Test
    void memoryOfAnotherLengthIsRefused() {
        MemoryLedger ledger = new MemoryLedger(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerStores.openInPlace(
                OffloadFixture.Kind.CPU_HEAP.config(nvme), new StoreRequest(0, 10, 2, 4, ledger),
                VectorStorage.of(new float[9])));
        assertTrue(e.getMessage().contains("9 elements but the shard has 10"), e.getMessage());
    }
}
