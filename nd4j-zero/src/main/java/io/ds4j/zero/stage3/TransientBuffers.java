package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The full-size buffers that gathered parameters occupy on one rank, each entered in the rank's
 * {@link MemoryLedger} while held: transient buffers (of parameters that are released again) as
 * {@link MemoryCategory#COMM_BUFFERS}, the buffers of persistent parameters as {@link MemoryCategory#PARAMETERS}.
 * A buffer is a fresh {@code float[]} released to the garbage collector, so the ledger's bytes are what is really
 * reachable. Confined to the rank's thread.
 */
public final class TransientBuffers {
    private final MemoryLedger ledger;
    private final Map<float[], MemoryLedger.Allocation> held = new IdentityHashMap<>();
    private long transientBytes;
    private long peakTransientBytes;

    /** Buffers accounted on {@code ledger}. */
    public TransientBuffers(MemoryLedger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /**
     * A zeroed buffer of {@code length} floats.
     *
     * @param length     elements
     * @param label      what it holds, for the ledger
     * @param persistent whether it stays held until the end of training (a persistent parameter)
     */
    public float[] acquire(int length, String label, boolean persistent) {
        if (length < 0) {
            throw new IllegalArgumentException("buffer '" + label + "': length must be >= 0, got " + length);
        }
        float[] buf = new float[length];
        long bytes = (long) Float.BYTES * buf.length; // the array's own size
        held.put(buf, ledger.allocate(persistent ? MemoryCategory.PARAMETERS : MemoryCategory.COMM_BUFFERS,
                MemoryTier.DEVICE, bytes, label));
        if (!persistent) {
            transientBytes += bytes;
            peakTransientBytes = Math.max(peakTransientBytes, transientBytes);
        }
        return buf;
    }

    /** Gives {@code buf} back; it must have come from {@link #acquire} and not been released. */
    public void release(float[] buf) {
        MemoryLedger.Allocation a = held.remove(buf);
        if (a == null) {
            throw new IllegalArgumentException("buffer of " + (buf == null ? "null" : buf.length + " floats")
                    + " was not acquired here or was already released");
        }
        if (a.category() == MemoryCategory.COMM_BUFFERS) {
            transientBytes -= a.bytes();
        }
        a.close();
    }

    /** Bytes of transient (non-persistent) buffers held now. */
    public long transientBytes() {
        return transientBytes;
    }

    /** The most transient bytes held at once since creation. */
    public long peakTransientBytes() {
        return peakTransientBytes;
    }

    /** The ledger the buffers are accounted on. */
    public MemoryLedger ledger() {
        return ledger;
    }
}
