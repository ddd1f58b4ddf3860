package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import org.junit.jupiter.api.Test;

/**
 * {@link TransientBuffers} reuses released transient buffers (the smallest that fits), zeroed, while the ledger (which counts
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

    /**
     * Best fit: a shorter request takes the smallest kept buffer that holds it (as a caching allocator does), so a
     * pass over tensors of several sizes allocates nothing once the pool holds its largest; the ledger counts the
     * buffer's own length, and what is held and kept never passes the most ever held at once. A longer buffer is
     * taken only while it, and what the caller announces it will request next, make no new most.
     */
    @Test
    void aShorterRequestTakesTheSmallestKeptBufferThatFits() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] x = b.acquire(100, "x", false);
        float[] y = b.acquire(10, "y", false);
        float[] u = b.acquire(50, "u", false);
        b.release(x);
        b.release(y);
        b.release(u); // held 0, kept 640 = the most held
        u[15] = 2f;
        float[] z = b.acquire(20, "z", false); // y is too short, x longer than u: u serves it
        assertSame(u, z);
        assertEquals(0f, z[15], "the requested length is zeroed");
        assertEquals(440, b.keptBytes());
        assertEquals(640, comm(ledger), "u's own 200 bytes, and x and y kept");
        assertSame(y, b.acquire(10, "y again", false));
        assertEquals(640, commPeak(ledger));
        float[] big = b.acquire(200, "big", false); // a new most: x goes, as held, kept and new fit in it
        assertNotSame(x, big);
        assertEquals(200 + 40 + 800, commPeak(ledger));
        assertEquals(0, b.keptBytes());
        b.release(big);
        b.release(z); // kept: big and u (z), 1000 B; held: y
        assertSame(z, b.acquire(30, "fits u", false, 0));
        b.release(z);
        assertNotSame(z, b.acquire(30, "u would leave no room for 220 floats coming next", false, 220));
        b.dropKept();
        assertEquals(40 + 120, comm(ledger), "only the ones still held");
        assertEquals(0, b.keptBytes());
    }

    /** A request no kept buffer fits lets kept buffers go, largest first, until the new one fits the most held. */
    @Test
    void aLongerRequestLetsTheLargestKeptBuffersGoSoTheLedgerPeakIsTheHeldPeak() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] x = b.acquire(100, "x", false);
        float[] y = b.acquire(10, "y", false);
        float[] w = b.acquire(10, "w", false);
        b.release(x);
        b.release(y);
        b.release(w); // held 0, kept 480 = the most held
        float[] z = b.acquire(105, "z", false); // 420 new bytes: x goes, then one of the 10-float buffers
        assertNotSame(x, z);
        assertEquals(40, b.keptBytes());
        assertEquals(460, comm(ledger));
        assertEquals(480, commPeak(ledger));
        assertEquals(480, b.peakTransientBytes());
    }

    /** Trimming lets the largest kept buffers go until at most the limit is kept, and the ledger follows. */
    @Test
    void trimmingKeepsAtMostTheLimitLargestGoingFirst() {
        MemoryLedger ledger = new MemoryLedger(0);
        TransientBuffers b = new TransientBuffers(ledger);
        float[] x = b.acquire(100, "x", false);
        float[] y = b.acquire(10, "y", false);
        float[] w = b.acquire(20, "w", false);
        b.release(x);
        b.release(y);
        b.release(w);
        b.trimKept(150);
        assertEquals(120, b.keptBytes(), "x went; y and w stay");
        assertEquals(120, comm(ledger));
        assertSame(w, b.acquire(20, "w again", false));
        b.trimKept(0);
        assertEquals(0, b.keptBytes());
        assertEquals(80, comm(ledger), "only w, still held");
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
