package io.ds4j.zero.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Accounting of {@link MemoryLedger}: current, peak, tier totals, moves, and concurrent use. */
class MemoryLedgerTest {
    @Test
    void tracksCurrentAndPeakPerCategoryAndTier() {
        MemoryLedger l = new MemoryLedger(1);
        MemoryLedger.Allocation p = l.allocate(MemoryCategory.PARAMETERS, MemoryTier.DEVICE, 400, "params");
        MemoryLedger.Allocation g = l.allocate(MemoryCategory.GRADIENTS, MemoryTier.DEVICE, 300, "grads");
        MemoryLedger.Allocation m = l.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE, 800, "adam");
        g.close();
        g.close(); // idempotent
        MemoryLedger.Allocation host = m.moveTo(MemoryTier.HOST);
        l.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, 50, "bucket");
        LedgerSnapshot s = l.snapshot();
        assertEquals(1, s.rank());
        assertEquals(400, s.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
        assertEquals(0, s.bytes(MemoryCategory.GRADIENTS, MemoryTier.DEVICE));
        assertEquals(300, s.peakBytes(MemoryCategory.GRADIENTS, MemoryTier.DEVICE));
        assertEquals(0, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE));
        assertEquals(800, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.HOST));
        assertEquals(450, s.tierBytes(MemoryTier.DEVICE));
        // device peak: 400 + 300 + 800 held at once before the release and the move
        assertEquals(1500, s.tierPeakBytes(MemoryTier.DEVICE));
        assertEquals(1200, s.modelStateBytes(), "buffers are not model state");
        assertEquals(new ModelStateBytes(400, 0, 800, 0), ModelStateBytes.of(s));
        assertTrue(s.toTable().contains("OPTIMIZER_STATE"));
        host.close();
        p.close();
        assertEquals(1200, s.modelStateBytes(), "snapshots are immutable");
        assertEquals(0, l.snapshot().modelStateBytes());
        assertThrows(IllegalStateException.class, () -> host.moveTo(MemoryTier.DISK));
        assertThrows(IllegalArgumentException.class,
                () -> l.allocate(MemoryCategory.OTHER, MemoryTier.HOST, -1, "bad"));
    }

    @Test
    void concurrentAllocationsBalance() throws InterruptedException {
        MemoryLedger l = new MemoryLedger(0);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    l.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.HOST, 8, "b").close();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        LedgerSnapshot s = l.snapshot();
        assertEquals(0, s.tierBytes(MemoryTier.HOST));
        long peak = s.tierPeakBytes(MemoryTier.HOST);
        assertTrue(peak >= 8 && peak <= 32, "at most 4 buffers of 8 bytes were ever held at once, got " + peak);
    }
}
