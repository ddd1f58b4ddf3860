package io.ds4j.dl4j.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The module buffers of the stage-3 ranks of one process whose ranks are threads ({@code InProcessCollectives}): a
 * gathered module has the same values on every rank, so the ranks share one native buffer per module instead of
 * holding one each ({@link ModuleBuffers} in shared mode), which saves {@code (N - 1)} times the largest layer. Each
 * rank writes the elements of its own shards into the buffer and waits for the others (a barrier), so the buffer is
 * written once; ranks that are processes (UCX) keep their own.
 *
 * <p>A module's buffer is taken by the first rank that holds it and goes back when the last rank lets it go; the
 * ranks take it only after a barrier that every rank passes once it has let go of the modules it no longer runs,
 * so a buffer is never written while another rank still computes on it, and the ranks hold at once only the buffers of
 * the modules they all hold. Released buffers are kept for reuse as the ranks' own pools keep theirs
 * ({@code TransientBuffers}): a buffer is kept while the bytes held and kept stay within the most held at once, and
 * a request takes a kept buffer of its exact length, or a longer one while that makes no new most.
 *
 * <p><b>Ledger.</b> Each buffer, held or kept, is entered in every rank's ledger as {@code COMM_BUFFERS} on the device
 * with a {@code 1/N} share of its bytes (the shares sum to the buffer's bytes): which rank takes a buffer first is a
 * race between threads, and a ledger charged to that rank would change from run to run; with shares, the sum over
 * the ranks' ledgers is the memory the process holds, and each rank's entry is the same in every run.
 *
 * <p><b>In place.</b> When the ranks train on the network's own parameters ({@code Stage3Trainer}'s in-place mode), a
 * module's buffer is the network's view of that layer's parameters, given to {@link #hold(int, int, INDArray)}: the
 * ranks' shards are already there, so no buffer is taken, pooled or entered in a ledger for it.
 *
 * <p>Thread-safe: the rank threads call it concurrently.
 */
final class SharedModuleMemory {
    private static final class Entry {
        INDArray buffer;
        boolean inPlace; // the network's own parameters: not this memory's to pool or free
        int ranks; // ranks holding the module now
    }

    private final int worldSize;
    private final MemoryLedger[] ledgers;
    private final Map<Integer, Entry> modules = new HashMap<>();
    private final TreeMap<Integer, Deque<INDArray>> kept = new TreeMap<>();
    private final Map<INDArray, MemoryLedger.Allocation[]> shares = new IdentityHashMap<>();
    private long heldBytes;
    private long keptBytes;
    private long peakHeldBytes;
    private int closed;

    /** Memory for the {@code worldSize} ranks of one process ({@code worldSize >= 2}). */
    SharedModuleMemory(int worldSize) {
        if (worldSize < 2) {
            throw new IllegalArgumentException("shared module buffers need at least 2 ranks, got " + worldSize);
        }
        this.worldSize = worldSize;
        this.ledgers = new MemoryLedger[worldSize];
    }

    int worldSize() {
        return worldSize;
    }

    /** Rank {@code rank}'s ledger, where its shares are entered; every rank registers before its first step. */
    synchronized void register(int rank, MemoryLedger ledger) {
        ledgers[rank] = ledger;
    }

    /**
     * Module {@code id}'s buffer of {@code length} floats, for one more rank. Call only after a barrier that every rank
     * passes once it has let go of the modules it no longer runs (see the class documentation).
     *
     * @return the buffer, and whether this call took it (its contents then undefined: this rank writes what all ranks
     *         read before they compute, e.g. the module's persistent parameters, before the next barrier)
     */
    synchronized Taken hold(int id, int length) {
        return hold(id, length, null);
    }

    /**
     * As {@link #hold(int, int)}, with the module's memory given ({@code inPlace}: a {@code [1, length]} FLOAT view of
     * the network's parameters of the module, in place) or taken from this memory (null).
     */
    synchronized Taken hold(int id, int length, INDArray inPlace) {
        Entry e = modules.computeIfAbsent(id, k -> new Entry());
        boolean fresh = e.buffer == null;
        if (fresh && inPlace != null) {
            if (inPlace.length() != length) {
                throw new IllegalArgumentException("module " + id + ": in-place parameters of " + inPlace.length()
                        + " elements, the module has " + length);
            }
            e.buffer = inPlace;
            e.inPlace = true;
        } else if (fresh) {
            e.buffer = take(length);
            heldBytes += bytes(e.buffer);
            peakHeldBytes = Math.max(peakHeldBytes, heldBytes);
        }
        if (e.ranks >= worldSize) {
            throw new IllegalStateException("module " + id + " held by more than the " + worldSize + " ranks");
        }
        e.ranks++;
        return new Taken(e.buffer, fresh);
    }

    /** What {@link #hold} gives: the buffer and whether the calling rank took it. */
    record Taken(INDArray buffer, boolean fresh) { }

    /** One rank fewer holds module {@code id}; the last one gives its buffer back. */
    synchronized void release(int id) {
        Entry e = modules.get(id);
        if (e == null || e.ranks <= 0) {
            throw new IllegalStateException("shared buffer of module " + id + " released more often than held");
        }
        if (--e.ranks == 0) {
            INDArray b = e.buffer;
            e.buffer = null;
            if (e.inPlace) {
                e.inPlace = false; // the network's: nothing to keep or free
                return;
            }
            long n = bytes(b);
            heldBytes -= n;
            if (heldBytes + keptBytes + n <= peakHeldBytes) {
                kept.computeIfAbsent((int) b.length(), k -> new ArrayDeque<>()).push(b);
                keptBytes += n;
            } else {
                free(b);
            }
        }
    }

    private INDArray take(int length) {
        Map.Entry<Integer, Deque<INDArray>> fit = kept.ceilingEntry(length);
        if (fit != null && (fit.getKey() == length
                || heldBytes + (long) Float.BYTES * fit.getKey() <= peakHeldBytes)) {
            INDArray b = fit.getValue().pop();
            if (fit.getValue().isEmpty()) {
                kept.remove(fit.getKey());
            }
            keptBytes -= bytes(b);
            return b;
        }
        long need = (long) Float.BYTES * length;
        long budget = Math.max(peakHeldBytes, heldBytes + need);
        while (keptBytes > 0 && heldBytes + keptBytes + need > budget) {
            letGoOfLargest();
        }
        INDArray b = Nd4j.create(DataType.FLOAT, 1, length);
        MemoryLedger.Allocation[] a = new MemoryLedger.Allocation[worldSize];
        for (int r = 0; r < worldSize; r++) {
            long share = need * (r + 1) / worldSize - need * r / worldSize;
            a[r] = ledgers[r].allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, share, "stage3 module buffer"
                    + " shared by the " + worldSize + " in-process ranks (this rank's share of " + length
                    + " floats)");
        }
        shares.put(b, a);
        return b;
    }

    private void letGoOfLargest() {
        Map.Entry<Integer, Deque<INDArray>> largest = kept.lastEntry();
        INDArray b = largest.getValue().pop();
        if (largest.getValue().isEmpty()) {
            kept.remove(largest.getKey());
        }
        keptBytes -= bytes(b);
        free(b);
    }

    private void free(INDArray b) {
        for (MemoryLedger.Allocation a : shares.remove(b)) {
            a.close();
        }
        b.close();
    }

    private static long bytes(INDArray b) {
        return (long) Float.BYTES * b.length();
    }

    /** Lets kept buffers go, largest first, until at most {@code maxBytes} are kept. */
    synchronized void trimKept(long maxBytes) {
        while (keptBytes > maxBytes) {
            letGoOfLargest();
        }
    }

    /** Bytes of released buffers kept for reuse now. */
    synchronized long keptBytes() {
        return keptBytes;
    }

    /** Rank {@code rank}'s ledger share of the released buffers kept for reuse now. */
    synchronized long keptShare(int rank) {
        long sum = 0;
        for (Deque<INDArray> d : kept.values()) {
            for (INDArray b : d) {
                sum += shares.get(b)[rank].bytes();
            }
        }
        return sum;
    }

    /** Bytes of buffers held by any rank now. */
    synchronized long heldBytes() {
        return heldBytes;
    }

    /** The most bytes held at once (the buffers of the modules all ranks held together). */
    synchronized long peakHeldBytes() {
        return peakHeldBytes;
    }

    /**
     * A rank closed (after letting go of its modules); when the last one has, every buffer still kept or held is freed
     * and the ranks' shares leave their ledgers.
     */
    synchronized void rankClosed() {
        if (++closed < worldSize) {
            return;
        }
        trimKept(0);
        for (Entry e : modules.values()) {
            if (e.buffer != null) {
                if (!e.inPlace) {
                    free(e.buffer);
                }
                e.buffer = null;
                e.inPlace = false;
                e.ranks = 0;
            }
        }
        heldBytes = 0;
    }
}
