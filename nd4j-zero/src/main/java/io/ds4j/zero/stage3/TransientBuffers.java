package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The full-size buffers that gathered parameters and reduce-scatter inputs occupy on one rank, each entered in the
 * rank's {@link MemoryLedger} with its own length while held: transient buffers (of parameters that are released
 * again, and gradients on their way to the reduce-scatter) as {@link MemoryCategory#COMM_BUFFERS}, the buffers of
 * persistent parameters as {@link MemoryCategory#PARAMETERS}. Confined to the rank's thread.
 *
 * <p>A released transient buffer is kept for reuse, as a caching allocator keeps freed blocks (PyTorch's, under
 * DeepSpeed's gathers): a request takes the smallest kept buffer at least as long as it asks for (best fit, so a
 * buffer may be longer than the request: callers use the length they asked for, never {@code buffer.length}; a longer
 * one is taken only while it makes no new most held, with what the caller announces it will request next). A
 * released buffer is kept as long as what is held and kept together stays within the most ever held at once
 * ({@link #peakTransientBytes()}); a request that no kept buffer fits first lets go of kept buffers, largest first,
 * until the new buffer fits that same budget. The pool lives from step to step: a step repeats the last one's
 * requests, so after the first step the gathers and reduce-scatters allocate nothing (a step used to allocate its
 * gathered tensors anew, heap garbage that G1's young generation kept resident until a collection). What is held and
 * kept is therefore never more than the most held at once, which the stage-3 knobs bound
 * ({@code stage3_max_live_parameters}, {@code stage3_prefetch_bucket_size}, {@code stage3_max_reuse_distance}, plus
 * the module being run and one gradient tensor with its shard). Kept buffers are entered in the ledger as
 * {@link MemoryCategory#COMM_BUFFERS} (they are reachable), so the ledger's bytes are what is really held;
 * {@link #trimKept(long)} lets the largest go down to a limit (between steps with {@code offload_param}, see
 * {@link ParamHome#pooledBytesBetweenSteps()}), {@link #dropKept()} all of them (when the trainer closes).
 */
public final class TransientBuffers {
    private final MemoryLedger ledger;
    private final Map<float[], MemoryLedger.Allocation> held = new IdentityHashMap<>();
    private final java.util.TreeMap<Integer, java.util.Deque<float[]>> kept = new java.util.TreeMap<>();
    private final Map<float[], MemoryLedger.Allocation> keptLedger = new IdentityHashMap<>();
    private long keptBytes;
    private long transientBytes;
    private long peakTransientBytes;

    /** Buffers accounted on {@code ledger}. */
    public TransientBuffers(MemoryLedger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /**
     * A buffer of at least {@code length} floats whose first {@code length} are zero (a persistent one is exactly
     * {@code length} long).
     *
     * @param length     elements
     * @param label      what it holds, for the ledger
     * @param persistent whether it stays held until the end of training (a persistent parameter)
     */
    public float[] acquire(int length, String label, boolean persistent) {
        return acquire(length, label, persistent, 0);
    }

    /**
     * As {@link #acquire(int, String, boolean)}, announcing that {@code comingNext} more floats will be requested
     * before this buffer is released (the rest of a module's tensors, a gradient's shard after its full tensor): a
     * longer kept buffer is taken only if those still fit below the most held, see {@link #reuse}.
     */
    public float[] acquire(int length, String label, boolean persistent, long comingNext) {
        if (length < 0) {
            throw new IllegalArgumentException("buffer '" + label + "': length must be >= 0, got " + length);
        }
        float[] buf = persistent ? null : reuse(length, comingNext);
        if (buf == null) {
            if (!persistent) {
                makeRoom((long) Float.BYTES * length);
            }
            buf = new float[length];
        }
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

    /**
     * The smallest kept buffer of at least {@code length} floats, its first {@code length} zeroed, or null when none
     * is kept, or when a longer one would leave no room below the most held for the {@code comingNext} floats still
     * to be requested (then a buffer of the exact length is made: a rounded-up reuse must not make a new most).
     */
    private float[] reuse(int length, long comingNext) {
        Map.Entry<Integer, java.util.Deque<float[]>> fit = kept.ceilingEntry(length);
        if (fit == null || fit.getKey() != length
                && transientBytes + (long) Float.BYTES * (fit.getKey() + comingNext) > peakTransientBytes) {
            return null;
        }
        float[] buf = fit.getValue().pop();
        forget(buf);
        java.util.Arrays.fill(buf, 0, length, 0f);
        return buf;
    }

    /**
     * Lets kept buffers go, largest first, until held, kept and {@code bytes} more fit in the most ever held (or in
     * what is held plus {@code bytes}, when that is a new most).
     */
    private void makeRoom(long bytes) {
        long budget = Math.max(peakTransientBytes, transientBytes + bytes);
        while (keptBytes > 0 && transientBytes + keptBytes + bytes > budget) {
            int largest = kept.lastKey();
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

    /** Lets kept buffers go, largest first, until at most {@code maxBytes} are kept. */
    public void trimKept(long maxBytes) {
        while (keptBytes > maxBytes) {
            forget(kept.lastEntry().getValue().pop());
        }
    }

    /** Lets every kept buffer go to the garbage collector (at close: the pool otherwise lives from step to step). */
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
