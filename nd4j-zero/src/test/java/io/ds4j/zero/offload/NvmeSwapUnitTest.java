package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A sub-group larger than {@link NvmeStore#SWAP_UNIT} (DeepSpeed's default {@code sub_group_size} of 1e9 makes the
 * whole shard one) is streamed in units of that size: the slot's buffer, measured as its capacity, is one unit per
 * vector, not the sub-group, the files are one per unit, and master and state end bit-identical to one kernel call
 * per step over the whole shard in heap arrays. Before, the slot held the whole 300,000-element sub-group. A larger
 * shard is cut into at most {@link NvmeStore#MAX_UNITS} units.
 */
class NvmeSwapUnitTest extends PooledStoreTest {
    private static final FusedAdam ADAM = FusedAdam.deepSpeedDefaults();

    @ParameterizedTest(name = "master in place: {0}, pipelined: {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void aLargeSubGroupIsStreamedInUnits(boolean inPlace, boolean pipelined) throws IOException {
        int n = 300_000;
        float[] init = OffloadFixture.random(5, n, 1f);
        OffloadFixture.Result expected = OffloadFixture.reference(ADAM, init, 3, pool);
        MemoryLedger ledger = new MemoryLedger(0);
        StoreRequest request = new StoreRequest(0, n, 2, 1_000_000_000L, ledger);
        var config = OffloadFixture.nvme(nvme, 9, pipelined, pipelined, 1.0);
        float[] params = init.clone();
        try (NvmeStore store = (NvmeStore) (inPlace ? OptimizerStores.openInPlace(config, request,
                VectorStorage.of(params)) : OptimizerStores.open(config, request))) {
            int vectors = inPlace ? 2 : 3;
            float[] copy = new float[n];
            store.initialize(VectorStorage.of(params));
            for (int t = 1; t <= 3; t++) {
                HeapFp32 g = VectorStorage.of(OffloadFixture.random(t, n, 0.1f));
                store.step(ADAM, new StepInput(g, OffloadFixture.args(t), inPlace ? null : VectorStorage.of(copy)),
                        pool);
            }
            expected.assertBitIdentical(store, inPlace ? expected.computeCopy() : copy, "units");
            if (inPlace) {
                assertArrayEquals(expected.master(), params, "the stepped memory");
            }
            try (Stream<Path> files = Files.list(store.directory())) {
                assertEquals(3, files.count(), "ceil(300,000 / 131,072) = 3 unit files");
            }
            int slots = pipelined ? 3 : 1;
            assertEquals(slots, store.slotCount());
            long unitSlot = (long) vectors * NvmeStore.SWAP_UNIT * Float.BYTES + SwapFile.HEADER_BYTES;
            assertEquals(slots * unitSlot, store.residentBytes(), "slots of one unit per vector, not 300,000");
            assertEquals(store.residentBytes(), ledger.snapshot().bytes(MemoryCategory.OFFLOAD_BUFFERS,
                    MemoryTier.HOST));
            assertEquals(9L * 4 * n, store.bufferBudgetBytes(), "DeepSpeed's budget: buffer_count x the sub-group");
        }
    }

    /** A shard of more than 16 units of 128 Ki is cut into 16 units: here 2,400,000 elements, 16 of 150,000. */
    @Test
    void aLargeShardIsCutIntoAtMostSixteenUnits() throws IOException {
        int n = 2_400_000;
        float[] params = OffloadFixture.random(7, n, 1f);
        MemoryLedger ledger = new MemoryLedger(0);
        var config = OffloadFixture.nvme(nvme, 4, false, false, 1.0);
        try (NvmeStore store = (NvmeStore) OptimizerStores.openInPlace(config,
                new StoreRequest(0, n, 2, 1_000_000_000L, ledger), VectorStorage.of(params))) {
            store.initialize(VectorStorage.of(params));
            try (Stream<Path> files = Files.list(store.directory())) {
                assertEquals(NvmeStore.MAX_UNITS, files.count(), "16 unit files");
            }
            assertEquals(2L * 150_000 * Float.BYTES + SwapFile.HEADER_BYTES, store.residentBytes(),
                    "one slot of 2 x 150,000 elements");
        }
    }
}
