package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The ledger shares of {@link SharedModuleMemory}: one buffer of 7 floats (28 bytes) held by 3 ranks is entered once,
 * split 9 + 9 + 10 bytes over the ranks' ledgers (shares that sum to the buffer's own length, worked by hand here), kept
 * with the same shares after the last rank lets it go, and gone from every ledger once every rank has closed.
 */
class SharedModuleMemoryLedgerTest {

    private static long comm(MemoryLedger l) {
        return l.snapshot().bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
    }

    @Test
    void aBufferHeldByThreeRanksIsLedgeredOnceInSharesThatSumToItsBytes() {
        SharedModuleMemory m = new SharedModuleMemory(3);
        MemoryLedger[] ledgers = {new MemoryLedger(0), new MemoryLedger(1), new MemoryLedger(2)};
        for (int r = 0; r < 3; r++) {
            m.register(r, ledgers[r]);
        }
        SharedModuleMemory.Taken first = m.hold(0, 7);
        SharedModuleMemory.Taken second = m.hold(0, 7);
        SharedModuleMemory.Taken third = m.hold(0, 7);
        assertTrue(first.fresh(), "the first rank takes the buffer");
        assertFalse(second.fresh() || third.fresh(), "the others get the same one");
        assertSame(first.buffer(), second.buffer());
        assertSame(first.buffer(), third.buffer());
        INDArray b = first.buffer();
        assertEquals(7, b.length());
        assertEquals(28, m.heldBytes());
        assertEquals(9, comm(ledgers[0]));
        assertEquals(9, comm(ledgers[1]));
        assertEquals(10, comm(ledgers[2]));

        for (int r = 0; r < 3; r++) {
            m.release(0);
        }
        assertEquals(0, m.heldBytes());
        assertEquals(28, m.keptBytes(), "kept for reuse within the most held at once");
        assertEquals(9 + 9 + 10, m.keptShare(0) + m.keptShare(1) + m.keptShare(2));
        assertEquals(10, comm(ledgers[2]), "a kept buffer stays in the ledgers");

        for (int r = 0; r < 3; r++) {
            m.rankClosed();
        }
        for (MemoryLedger l : ledgers) {
            assertEquals(0, comm(l), "rank " + l.rank() + " after every rank closed");
        }
        assertTrue(b.wasClosed(), "the native buffer is freed at once");
    }
}
