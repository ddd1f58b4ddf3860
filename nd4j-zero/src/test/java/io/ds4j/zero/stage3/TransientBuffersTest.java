package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import org.junit.jupiter.api.Test;

/**
 * {@link TransientBuffers} reuses released transient buffers of the same length, zeroed, while the ledger (which counts
 * kept buffers: they are reachable) never goes above the most ever held at once, and lets them all go on
 * {@link TransientBuffers#dropKept()}.
 */
class TransientBuffersTest {
    private static long comm(MemoryLedger l) {
        return l.snapshot().bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
    }

    private static long commPeak(MemoryLedger l) {
        return l.snapshot().peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
    }

    @Test
    void aReleasedBufferIsReusedZeroedWithinTheBytesEverHeld() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] first = b.acquire(100, "a", false);
        first[7] = 3f;
        b.release(first);
        assertEquals(400, b.keptBytes());
        assertEquals(400, comm(ledger), "a kept buffer is still reachable, so the ledger counts it");
        float[] again = b.acquire(100, "b", false);
        assertSame(first, again);
        assertEquals(0f, again[7]);
        assertEquals(0, b.keptBytes());
        assertEquals(400, commPeak(ledger));
        assertEquals(400, b.peakTransientBytes());
    }

    @Test
    void anotherLengthLetsKeptBuffersGoSoTheLedgerPeakIsTheHeldPeak() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] x = b.acquire(100, "x", false);
        float[] y = b.acquire(10, "y", false);
        b.release(x);
        b.release(y); // held 0, kept 440 = the most held
        assertEquals(440, b.keptBytes());
        float[] z = b.acquire(20, "z", false); // 80 new bytes: the 100-float buffer (largest) goes, y stays
        assertEquals(40, b.keptBytes());
        assertEquals(120, comm(ledger));
        assertEquals(440, commPeak(ledger));
        assertEquals(440, b.peakTransientBytes());
        assertSame(y, b.acquire(10, "y again", false));
        float[] big = b.acquire(200, "big", false); // a new most: nothing kept to let go
        assertEquals(80 + 40 + 800, commPeak(ledger));
        assertNotSame(x, z);
        b.release(z);
        b.release(big);
        assertEquals(880, b.keptBytes());
        b.dropKept();
        assertEquals(40, comm(ledger), "only the one still held");
        assertEquals(0, b.keptBytes());
    }

    @Test
    void persistentBuffersAreNeitherKeptNorReused() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] p = b.acquire(10, "persistent", true);
        b.release(p);
        assertEquals(0, b.keptBytes());
        float[] t = b.acquire(10, "transient", false);
        b.release(t);
        assertNotSame(t, b.acquire(10, "persistent again", true));
        assertEquals(40, b.keptBytes(), "the transient one is kept, for a transient request");
    }
}
