package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/** The nvme store's files, its ledger entries and its resident-memory bound. */
class NvmeStoreTest extends PooledStoreTest {
    private static final FusedAdam ADAM = FusedAdam.deepSpeedDefaults();

    private NvmeStore open(int elements, int subGroup, int buffers, boolean read, boolean write, MemoryLedger l) {
        return NvmeStore.open(new StoreRequest(3, elements, 2, subGroup, l),
                new NvmeSettings(nvme.toString(), buffers, read, write, FreeSpaceProbe.fileStore()));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void oneCompleteFilePerSubGroupInAPrivateRankDirectoryRemovedAtClose() throws IOException {
        MemoryLedger ledger = new MemoryLedger(3);
        Path dir;
        try (NvmeStore store = open(100, 16, 9, true, true, ledger)) {
            dir = store.directory();
            assertEquals(nvme, dir.getParent());
            assertTrue(dir.getFileName().toString().startsWith("ds4j-optimizer-rank3-"), dir.toString());
            OffloadFixture.run(store, ADAM, OffloadFixture.random(1, 100, 1f), 3, pool);
            List<String> files = names(dir);
            assertEquals(7, files.size(), "ceil(100 / 16) = 7 sub-groups: " + files);
            assertTrue(files.stream().allMatch(f -> f.endsWith(".swp")), "no temporary file after a step: " + files);
            // header 32 bytes + (master + 2 state vectors) * 16 elements * 4 bytes
            assertEquals(32 + 3 * 16 * 4, Files.size(dir.resolve(files.get(0))));
            assertEquals(32 + 3 * 4 * 4, Files.size(dir.resolve(files.get(6))), "last sub-group: 100 - 96 = 4");
        }
        assertFalse(Files.exists(dir), "directory removed at close");
        assertEquals(List.of(), names(nvme));
    }

    @ParameterizedTest(name = "pipeline_read={0}, pipeline_write={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void anExceptionInsideAStepFailsTheStoreAndCloseStillRemovesEveryFile(boolean read, boolean write)
            throws IOException {
        MemoryLedger ledger = new MemoryLedger(3);
        Path dir;
        NvmeStore store = open(100, 16, 9, read, write, ledger);
        try (store) {
            dir = store.directory();
            store.initialize(VectorStorage.of(new float[100]));
            // 16-bit gradients whose codec throws in the third sub-group (after 40 elements)
            VectorStorage grads = VectorStorage.of(new short[100], 0, 100, new ThrowingCodec(40));
            StepInput in = new StepInput(grads, new StepArgs(1, 0.01f, 1f), null);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.step(ADAM, in, pool));
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
            IllegalStateException again = assertThrows(IllegalStateException.class,
                    () -> store.step(ADAM, in, pool));
            assertTrue(again.getMessage().contains("FAILED"), again.getMessage());
            assertTrue(names(dir).stream().allMatch(f -> f.endsWith(".swp")), "no half-written file: " + names(dir));
        }
        assertFalse(Files.exists(dir));
        assertEquals(List.of(), names(nvme));
        assertEquals(0, ledger.snapshot().tierBytes(MemoryTier.DISK));
        assertEquals(0, ledger.snapshot().tierBytes(MemoryTier.HOST));
    }

    /**
     * Resident host memory for the optimizer: Adam needs 1 + 2 buffers of sub_group_size (16) elements per sub-group
     * in flight; with read-ahead and write-behind three are in flight: 9 * 16 * 4 = 576 bytes, exactly DeepSpeed's
     * buffer_count * buffer size, plus 32 header bytes per slot. The shard size does not change it.
     */
    @ParameterizedTest(name = "{0} elements")
    @CsvSource({"100", "5000"})
    void residentMemoryStaysWithinBufferCountTimesBufferSize(int elements) {
        MemoryLedger ledger = new MemoryLedger(3);
        try (NvmeStore store = open(elements, 16, 9, true, true, ledger)) {
            OffloadFixture.run(store, ADAM, OffloadFixture.random(2, elements, 1f), 2, pool);
            assertEquals(3, store.slotCount());
            assertEquals(9 * 16 * 4, store.bufferBudgetBytes());
            assertEquals(9 * 16 * 4 + 3 * 32, store.residentBytes());
            LedgerSnapshot s = ledger.snapshot();
            assertEquals(store.residentBytes(), s.tierPeakBytes(MemoryTier.HOST), "host peak = the swap slots");
            assertTrue(s.tierPeakBytes(MemoryTier.HOST) <= store.bufferBudgetBytes() + 3 * 32);
            assertEquals(4L * elements, s.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DISK));
            assertEquals(8L * elements, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DISK));
            assertEquals(0, s.tierPeakBytes(MemoryTier.DEVICE));
        }
    }

    @Test
    void slotsShrinkToWhatBufferCountAllows() {
        MemoryLedger ledger = new MemoryLedger(0);
        // DeepSpeed's default buffer_count 4 holds one Adam sub-group (3 buffers): no pipelining possible
        try (NvmeStore store = open(100, 16, 4, true, true, ledger)) {
            assertEquals(1, store.slotCount());
            assertTrue(store.residentBytes() <= store.bufferBudgetBytes() + 32);
        }
        try (NvmeStore store = open(100, 16, 6, true, true, ledger)) {
            assertEquals(2, store.slotCount());
        }
    }

    @Test
    void tooFewBuffersIsRefusedNamingBufferCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(100, 16, 2, false, false, new MemoryLedger(0)));
        assertTrue(e.getMessage().contains("zero_optimization.offload_optimizer.buffer_count: 2"), e.getMessage());
        assertTrue(e.getMessage().contains("buffer_count >= 3"), e.getMessage());
    }

    @Test
    void aTruncatedOrStaleFileIsNeverTakenForComplete() throws IOException {
        try (NvmeStore store = open(40, 16, 3, false, false, new MemoryLedger(0))) {
            OffloadFixture.run(store, ADAM, OffloadFixture.random(3, 40, 1f), 1, pool);
            Path first = SwapFile.path(store.directory(), 0);
            try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() - 4);
            }
            float[] m = new float[40];
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.readMaster(m, 0));
            assertTrue(e.getMessage().contains("bytes, expected"), e.getMessage());
        }
        try (NvmeStore store = open(40, 16, 3, false, false, new MemoryLedger(0))) {
            OffloadFixture.run(store, ADAM, OffloadFixture.random(3, 40, 1f), 1, pool);
            // the file of step 1 is replaced by one written after step 0: its header says so
            java.nio.ByteBuffer data = java.nio.ByteBuffer.allocateDirect(3 * 16 * 4);
            SwapFile.write(store.directory(), 0, 3, 16, 0, data, java.nio.ByteBuffer.allocate(32));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> store.readMaster(new float[40], 0));
            assertTrue(e.getMessage().contains("step 0") && e.getMessage().contains("step 1"), e.getMessage());
        }
    }
}
