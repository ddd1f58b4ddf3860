package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 *
 * <p>Buffers are Java arrays ({@link #acquire}) or ND4J arrays in native memory ({@link #acquireNative}: the memory a
 * module's parameters are gathered into and its layer computes on, as DeepSpeed's gathered parameter is the
 * parameter's data); each kind is reused only as its own kind, within its own most held at once.
 */
public final class TransientBuffers {
    private final MemoryLedger ledger;
    private final Map<Object, MemoryLedger.Allocation> held = new IdentityHashMap<>();
    private final java.util.TreeMap<Integer, java.util.Deque<Object>> kept = new java.util.TreeMap<>();
    private final java.util.TreeMap<Integer, java.util.Deque<Object>> keptNative = new java.util.TreeMap<>();
    private final Map<Object, MemoryLedger.Allocation> keptLedger = new IdentityHashMap<>();
    // per kind, index 0 Java arrays and 1 native buffers: each kind is pooled within its own most held
    private final long[] keptBytes = new long[2];
    private final long[] transientBytes = new long[2];
    private final long[] peakTransientBytes = new long[2];

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
        float[] buf = persistent ? null : (float[]) reuse(0, length, comingNext);
        if (buf == null) {
            if (!persistent) {
                makeRoom(0, (long) Float.BYTES * length);
            }
            buf = new float[length];
        } else {
            java.util.Arrays.fill(buf, 0, length, 0f);
        }
        hold(buf, buf.length, persistent, label);
        return buf;
    }

    /**
     * A transient FLOAT row vector of ND4J (native memory) of at least {@code length} elements, whose contents are
     * undefined (the caller writes every element it reads): the memory a module's gathered parameters are gathered
     * into and its layer computes on. Pooled and accounted as {@link #acquire(int, String, boolean, long)}'s
     * transient buffers (same budget, same ledger category); {@link #release(INDArray)} gives it back, and a native
     * buffer the pool lets go of is freed at once ({@code close()}), not left to the garbage collector.
     */
    public INDArray acquireNative(int length, String label, long comingNext) {
        if (length < 1) {
            throw new IllegalArgumentException("native buffer '" + label + "': length must be >= 1, got " + length);
        }
        INDArray buf = (INDArray) reuse(1, length, comingNext);
        if (buf == null) {
            makeRoom(1, (long) Float.BYTES * length);
            buf = Nd4j.create(DataType.FLOAT, 1, length);
        }
        hold(buf, length(buf), false, label);
        return buf;
    }

    /** Gives {@code buf} back; it must have come from {@link #acquireNative} and not been released. */
    public void release(INDArray buf) {
        releaseAny(buf);
    }

    private void hold(Object buf, int length, boolean persistent, String label) {
        long bytes = (long) Float.BYTES * length; // the buffer's own size
        held.put(buf, ledger.allocate(persistent ? MemoryCategory.PARAMETERS : MemoryCategory.COMM_BUFFERS,
                MemoryTier.DEVICE, bytes, label));
        if (!persistent) {
            int k = kind(buf);
            transientBytes[k] += bytes;
            peakTransientBytes[k] = Math.max(peakTransientBytes[k], transientBytes[k]);
        }
    }

    private static int kind(Object buf) {
        return buf instanceof float[] ? 0 : 1;
    }

    private static int length(Object buf) {
        return buf instanceof float[] f ? f.length : (int) ((INDArray) buf).length();
    }

    /** Gives {@code buf} back; it must have come from {@link #acquire} and not been released. */
    public void release(float[] buf) {
        releaseAny(buf);
    }

    private void releaseAny(Object buf) {
        MemoryLedger.Allocation a = buf == null ? null : held.remove(buf);
        if (a == null) {
            throw new IllegalArgumentException("buffer of " + (buf == null ? "null" : length(buf) + " floats")
                    + " was not acquired here or was already released");
        }
        a.close();
        if (a.category() == MemoryCategory.COMM_BUFFERS) {
            int k = kind(buf);
            transientBytes[k] -= a.bytes();
            if (transientBytes[k] + keptBytes[k] + a.bytes() <= peakTransientBytes[k]) {
                keptOf(buf).computeIfAbsent(length(buf), n -> new ArrayDeque<>()).push(buf);
                keptLedger.put(buf, ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, a.bytes(),
                        "stage3 buffer kept for reuse (" + length(buf) + " floats)"));
                keptBytes[k] += a.bytes();
            } else {
                free(buf);
            }
        }
    }

    private java.util.TreeMap<Integer, java.util.Deque<Object>> keptOf(Object buf) {
        return buf instanceof float[] ? kept : keptNative;
    }

    /** Frees a native buffer's memory now (a heap one is left to the garbage collector). */
    private static void free(Object buf) {
        if (buf instanceof INDArray a && a.closeable()) {
            a.close();
        }
    }

    /**
     * The smallest buffer kept in {@code pool} of at least {@code length} floats, or null when none is kept, or when a
     * longer one would leave no room below the most held for the {@code comingNext} floats still to be requested
     * (then a buffer of the exact length is made: a rounded-up reuse must not make a new most).
     */
    private Object reuse(int k, int length, long comingNext) {
        Map.Entry<Integer, java.util.Deque<Object>> fit = (k == 0 ? kept : keptNative).ceilingEntry(length);
        if (fit == null || fit.getKey() != length
                && transientBytes[k] + (long) Float.BYTES * (fit.getKey() + comingNext) > peakTransientBytes[k]) {
            return null;
        }
        Object buf = fit.getValue().pop();
        forget(buf);
        return buf;
    }

    /**
     * Lets kept buffers go, largest first, until held, kept and {@code bytes} more fit in the most ever held (or in
     * what is held plus {@code bytes}, when that is a new most).
     */
    private void makeRoom(int k, long bytes) {
        long budget = Math.max(peakTransientBytes[k], transientBytes[k] + bytes);
        while (keptBytes[k] > 0 && transientBytes[k] + keptBytes[k] + bytes > budget) {
            letGoOfLargest(k);
        }
    }

    /** Lets the largest kept buffer of kind {@code k} go (-1: of either kind). */
    private void letGoOfLargest(int k) {
        int heap = kept.isEmpty() || k == 1 ? -1 : kept.lastKey();
        int off = keptNative.isEmpty() || k == 0 ? -1 : keptNative.lastKey();
        Object buf = (heap >= off ? kept : keptNative).lastEntry().getValue().pop();
        forget(buf);
        free(buf);
    }

    private void forget(Object buf) {
        MemoryLedger.Allocation a = keptLedger.remove(buf);
        keptBytes[kind(buf)] -= a.bytes();
        a.close();
        keptOf(buf).entrySet().removeIf(e -> e.getValue().isEmpty());
    }

    /** Lets kept buffers go, largest first, until at most {@code maxBytes} are kept. */
    public void trimKept(long maxBytes) {
        while (keptBytes() > maxBytes) {
            letGoOfLargest(-1);
        }
    }

    /**
     * Lets every kept buffer go (at close: the pool otherwise lives from step to step): heap ones to the garbage
     * collector, native ones freed at once.
     */
    public void dropKept() {
        while (!kept.isEmpty() || !keptNative.isEmpty()) {
            letGoOfLargest(-1);
        }
    }

    /** Bytes of released buffers kept for reuse now. */
    public long keptBytes() {
        return keptBytes[0] + keptBytes[1];
    }

    /** Bytes of transient (non-persistent) buffers held now. */
    public long transientBytes() {
        return transientBytes[0] + transientBytes[1];
    }

    /**
     * The most transient bytes held at once since creation: of Java arrays plus of native buffers, each kind's most
     * (each kind is pooled within its own, so what is held and kept never passes this).
     */
    public long peakTransientBytes() {
        return peakTransientBytes[0] + peakTransientBytes[1];
    }

    /** The ledger the buffers are accounted on. */
    public MemoryLedger ledger() {
        return ledger;
    }
}
