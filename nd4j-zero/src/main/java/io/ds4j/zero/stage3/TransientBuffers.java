package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The full-size buffers that gathered parameters occupy on one rank, each entered in the rank's
 * {@link MemoryLedger} while held: transient buffers (of parameters that are released again) as
 * {@link MemoryCategory#COMM_BUFFERS}, the buffers of persistent parameters as {@link MemoryCategory#PARAMETERS}.
 * Confined to the rank's thread.
 *
 * <p>A released transient buffer is kept for reuse by the next request of the same length, as long as what is held
 * and kept together stays within the most ever held at once ({@link #peakTransientBytes()}); a request that no kept
 * buffer fits first lets go of kept buffers, largest first, until the new buffer fits that same budget. So a pass over
 * many layers of one size allocates a few arrays instead of one per gather and reduce-scatter (at 128M parameters each
 * is 64 MiB of heap that the collector would otherwise have to find), and the ledger's peak stays what it was without
 * reuse. Kept buffers are entered in the ledger as {@link MemoryCategory#COMM_BUFFERS} (they are reachable), so the
 * ledger's bytes are what is really held; {@link #dropKept()} lets them all go (at the end of each pass).
 */
public final class TransientBuffers {
    private final MemoryLedger ledger;
    private final Map<float[], MemoryLedger.Allocation> held = new IdentityHashMap<>();
    private final Map<Integer, java.util.Deque<float[]>> kept = new java.util.HashMap<>();
    private final Map<float[], MemoryLedger.Allocation> keptLedger = new IdentityHashMap<>();
    private long keptBytes;
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
        long bytes = (long) Float.BYTES * length; // the array's own size
        float[] buf = persistent ? null : reuse(length);
        if (buf == null) {
            if (!persistent) {
                makeRoom(bytes);
            }
            buf = new float[length];
        }
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
        a.close();
        if (a.category() == MemoryCategory.COMM_BUFFERS) {
            transientBytes -= a.bytes();
            if (transientBytes + keptBytes + a.bytes() <= peakTransientBytes) {
                kept.computeIfAbsent(buf.length, n -> new ArrayDeque<>()).push(buf);
                keptLedger.put(buf, ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, a.bytes(),
                        "stage3 buffer kept for reuse (" + buf.length + " floats)"));
                keptBytes += a.bytes();
            }
        }
    }

    /** A kept buffer of {@code length} floats, zeroed, or null when none is kept. */
    private float[] reuse(int length) {
        java.util.Deque<float[]> q = kept.get(length);
        if (q == null || q.isEmpty()) {
            return null;
        }
        float[] buf = q.pop();
        forget(buf);
        java.util.Arrays.fill(buf, 0f);
        return buf;
    }

    /**
     * Lets kept buffers go, largest first, until held, kept and {@code bytes} more fit in the most ever held (or in
     * what is held plus {@code bytes}, when that is a new most).
     */
    private void makeRoom(long bytes) {
        long budget = Math.max(peakTransientBytes, transientBytes + bytes);
        while (keptBytes > 0 && transientBytes + keptBytes + bytes > budget) {
            int largest = java.util.Collections.max(kept.keySet());
            float[] buf = kept.get(largest).pop();
            if (kept.get(largest).isEmpty()) {
                kept.remove(largest);
            }
            forget(buf);
        }
    }

    private void forget(float[] buf) {
        MemoryLedger.Allocation a = keptLedger.remove(buf);
        keptBytes -= a.bytes();
        a.close();
        kept.entrySet().removeIf(e -> e.getValue().isEmpty());
    }

    /** Lets every kept buffer go to the garbage collector. */
    public void dropKept() {
        for (java.util.Deque<float[]> q : kept.values()) {
            while (!q.isEmpty()) {
                MemoryLedger.Allocation a = keptLedger.remove(q.pop());
                keptBytes -= a.bytes();
                a.close();
            }
        }
        kept.clear();
    }

    /** Bytes of released buffers kept for reuse now. */
    public long keptBytes() {
        return keptBytes;
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
