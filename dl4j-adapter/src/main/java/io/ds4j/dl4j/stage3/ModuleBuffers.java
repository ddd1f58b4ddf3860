package io.ds4j.dl4j.stage3;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.TransientBuffers;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The memory a rank's layers compute on: one native buffer per module while any of its parameters is gathered or the
 * module is running, holding the module's tensors side by side in the layer's flat order, so that the layer's
 * parameter views are views of the gathered memory itself (no copy of the gathered tensors into a compute scratch; in
 * DeepSpeed the gathered parameter is the parameter's data). The non-persistent parameters are gathered straight
 * into their range ({@link PartitionedParam.Placement}); the persistent ones (small, gathered once on the heap) are
 * copied in when the module is bound. A buffer is exactly as long as the module (so no layer references more than
 * its own parameters): a tensor's padding (fewer than {@code worldSize} elements) is gathered onto the next tensor's
 * range and restored ({@link PartitionedParam}); the module's last tensor, whose padding would run past the end, is
 * gathered {@code pad} elements early, onto the previous tensor's tail (saved and restored), then moved into place
 * within the buffer; only a module whose tensors before the last hold fewer than {@code pad} elements (a single
 * tensor) gathers it through a pooled buffer of its own, copied in. Buffers come from the rank's
 * {@link TransientBuffers} pool (ledger
 * {@code COMM_BUFFERS}) and go back to it when the module's last parameter is released and it is not running.
 *
 * <p><b>Shared mode</b> (ranks that are threads of one process, {@link SharedModuleMemory}): the buffer of a module is
 * one for all the process's ranks. A rank that starts holding a module first passes a barrier (so every rank has let
 * go of the modules it no longer runs, and their buffers can be reused), takes the module's buffer (the rank that
 * takes it from the pool writes the persistent parameters into it) and passes a second barrier; each non-persistent
 * parameter is then written by every rank into its owned range and completed by a barrier
 * ({@link PartitionedParam.Placement#sharedByGroup()}), so no padding, spill or shifted tail is needed. The ranks make
 * the same holds in the same order (the same trace and coordinator decisions), so the barriers match.
 * Confined to the rank's thread (the shared memory itself is thread-safe).
 */
final class ModuleBuffers implements PartitionedParam.Placement {
    private record Site(PartitionedLayer module, int offset) { }

    private static final class Held {
        INDArray buffer;
        int users;
    }

    private final TransientBuffers buffers;
    private final SharedModuleMemory shared; // null: this rank's own buffers
    private final io.ds4j.zero.comm.Collectives comm;
    private final Map<PartitionedLayer, Integer> ids = new IdentityHashMap<>();
    private final Map<PartitionedParam, Site> sites = new IdentityHashMap<>();
    private final Map<PartitionedLayer, Held> held = new IdentityHashMap<>();
    private final Map<PartitionedLayer, String> labels = new HashMap<>();
    private final Map<PartitionedLayer, INDArray> inPlace = new IdentityHashMap<>(); // the network's own, shared mode
    private final Map<PartitionedParam, INDArray> spills = new IdentityHashMap<>();
    private final Map<PartitionedParam, float[]> shifted = new IdentityHashMap<>(); // the tail gathered over
    // each tensor's last gather target: {its module buffer, the view}, kept while the module gets the same buffer (a
    // new view each step would leave ND4J objects for the collector to find; see PartitionedLayer's kept views)
    private final Map<PartitionedParam, INDArray[]> targets = new IdentityHashMap<>();
    private final float[] tile = new float[4096];

    /**
     * @param buffers the rank's pool (its own module buffers, spills)
     * @param shared  the process's shared module memory, or null for buffers of this rank's own
     * @param comm    the rank's group (its barriers, in shared mode)
     */
    ModuleBuffers(TransientBuffers buffers, SharedModuleMemory shared, io.ds4j.zero.comm.Collectives comm) {
        this.buffers = buffers;
        this.shared = shared;
        this.comm = comm;
    }

    /** Whether the module buffers are the process's, shared by its ranks. */
    boolean shared() {
        return shared != null;
    }

    @Override
    public boolean sharedByGroup() {
        return shared != null;
    }

    /**
     * Gathers module {@code id}'s ({@code module}'s) parameters into its buffer from now on. In shared mode the
     * module's buffer may be given: {@code network} is then the network's own {@code [1, numParams]} view of the
     * module's parameters, where the ranks' shards are kept in place ({@link SharedModuleMemory#hold(int, int,
     * INDArray)}); null takes one from the pool.
     */
    void place(int id, PartitionedLayer module, String name, INDArray network) {
        if (network != null && shared == null) {
            throw new IllegalStateException("the network's own parameters as a module buffer need ranks that share"
                    + " it (ranks as threads of one process)");
        }
        if (network != null) {
            inPlace.put(module, network);
        }
        ids.put(module, id);
        int at = 0;
        for (PartitionedParam p : module.params()) {
            sites.put(p, new Site(module, at));
            p.placeAt(this);
            at += p.spec().numel();
        }
        held.put(module, new Held());
        labels.put(module, "stage3 gathered " + name + " (the memory its layer computes on)");
    }

    @Override
    public INDArray acquire(PartitionedParam p) {
        Site s = sites.get(p);
        INDArray b = hold(s.module());
        if (shared != null) {
            return target(p, b, s.offset(), s.offset() + p.spec().numel()); // each rank writes its owned range
        }
        long end = s.offset() + p.layout().paddedLength();
        int pad = (int) (p.layout().paddedLength() - p.spec().numel());
        if (end > s.module().numParams() && s.offset() >= pad) {
            // the module's last tensor, padded past the module's end: gathered pad elements early, moved after
            float[] tail = new float[pad];
            HostFloats.current(b).get((int) b.offset() + s.offset() - pad, tail, 0, pad);
            shifted.put(p, tail);
            return view(b, s.offset() - pad, end - pad);
        }
        if (end > s.module().numParams()) {
            // ... and a single tensor: gathered through a pooled buffer, then copied
            INDArray spill = buffers.acquireNative((int) p.layout().paddedLength(), "stage3 gathered "
                    + p.spec().name() + " (padded past its module's end)", 0);
            spills.put(p, spill);
            return view(spill, 0, p.layout().paddedLength());
        }
        return target(p, b, s.offset(), end);
    }

    /** {@code b[from, to)} as {@code p}'s gather target: the view of the last call when {@code b} is the same buffer. */
    private INDArray target(PartitionedParam p, INDArray b, long from, long to) {
        INDArray[] last = targets.get(p);
        if (last != null && last[0] == b) {
            return last[1];
        }
        INDArray v = view(b, from, to);
        targets.put(p, new INDArray[] {b, v});
        return v;
    }

    @Override
    public void gathered(PartitionedParam p, INDArray target) {
        float[] tail = shifted.remove(p);
        if (tail != null) {
            int at = (int) target.offset(); // = the buffer's offset + the tensor's offset - pad
            moveUp(HostFloats.current(target), at, tail.length, p.spec().numel());
            HostFloats.current(target).put(at, tail, 0, tail.length);
            HostFloats.written(target);
            return;
        }
        INDArray spill = spills.remove(p);
        if (spill != null) {
            Site s = sites.get(p);
            INDArray b = held.get(s.module()).buffer;
            HostFloats.current(b).put((int) b.offset() + s.offset(), HostFloats.current(spill),
                    (int) spill.offset(), p.spec().numel());
            HostFloats.written(b);
            buffers.release(spill);
        }
    }

    /** Moves {@code n} floats at {@code from} up by {@code by} (overlapping): tile by tile, from the end down. */
    private void moveUp(java.nio.FloatBuffer mem, int from, int by, int n) {
        for (int end = n; end > 0; end -= tile.length) {
            int len = Math.min(tile.length, end);
            mem.get(from + end - len, tile, 0, len);
            mem.put(from + end - len + by, tile, 0, len);
        }
    }

    private static INDArray view(INDArray b, long from, long to) {
        return b.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(from, to));
    }

    @Override
    public void release(PartitionedParam p) {
        unhold(sites.get(p).module());
    }

    /** The module's buffer, acquired if none is held, with one more user (a gathered tensor or the running layer). */
    INDArray hold(PartitionedLayer module) {
        Held h = held.get(module);
        if (h.buffer == null && shared != null) {
            comm.barrier(); // every rank has let go of what it no longer runs
            SharedModuleMemory.Taken t = shared.hold(ids.get(module), module.numParams(), inPlace.get(module));
            if (t.fresh()) {
                module.writePersistent(t.buffer()); // before the barrier below: every rank reads them after it
            }
            comm.barrier();
            h.buffer = t.buffer();
        } else if (h.buffer == null) {
            h.buffer = buffers.acquireNative(module.numParams(), labels.get(module), 0);
        }
        h.users++;
        return h.buffer;
    }

    /** One user fewer; the last gives the buffer back to the pool. */
    void unhold(PartitionedLayer module) {
        Held h = held.get(module);
        if (h.users <= 0) {
            throw new IllegalStateException("module buffer released more often than held: " + labels.get(module));
        }
        if (--h.users == 0) {
            giveBack(module, h);
        }
    }

    private void giveBack(PartitionedLayer module, Held h) {
        if (shared != null) {
            shared.release(ids.get(module));
        } else {
            buffers.release(h.buffer);
        }
        h.buffer = null;
    }

    /** Gives back every buffer still held (when the rank closes, after its parameters were freed). */
    void close() {
        for (Map.Entry<PartitionedLayer, Held> e : held.entrySet()) {
            Held h = e.getValue();
            if (h.buffer != null) {
                giveBack(e.getKey(), h);
                h.users = 0;
            }
        }
        if (shared != null) {
            shared.rankClosed();
        }
    }

    /**
     * Shared mode's {@code gatherInto}: every parameter's full fp32 tensor, one after the other, in one buffer of the
     * largest parameter's length that the process's ranks share (taken as the module buffers are, so a call after a
     * step reuses a module's), each rank writing its owned elements; the rank given a {@code target} (a network's
     * flat FLOAT vector) copies each tensor into it before any rank writes the next.
     */
    void gatherIntoShared(java.util.List<PartitionedParam> params, INDArray target) {
        int largest = 1;
        for (PartitionedParam p : params) {
            largest = Math.max(largest, p.spec().numel());
        }
        comm.barrier(); // every rank has let go of its modules
        INDArray full = shared.hold(WHOLE_TENSORS, largest).buffer();
        comm.barrier();
        try {
            long at = 0;
            for (PartitionedParam p : params) {
                int n = p.spec().numel();
                p.writeOwnedInto(comm, io.ds4j.zero.stage3.MasterShards.masterOf(p.store()), view(full, 0, n));
                if (target != null) {
                    INDArray range = target.get(NDArrayIndex.interval(at, at + n));
                    HostFloats.buffer(range).put(0, HostFloats.current(full), (int) full.offset(), n);
                    HostFloats.written(range);
                }
                comm.barrier(); // the copy is done before the next tensor is written
                at += n;
            }
        } finally {
            shared.release(WHOLE_TENSORS);
        }
    }

    /** The shared memory's id of {@link #gatherIntoShared}'s buffer (module ids are from 0 up). */
    private static final int WHOLE_TENSORS = -1;

    /** This rank's ledger share of the shared module buffers kept for reuse (0 in a rank's own mode). */
    long sharedKeptShare() {
        return shared == null ? 0 : shared.keptShare(comm.rank());
    }

    /** Lets the shared memory keep at most {@code maxBytes} released buffers (nothing in a rank's own mode). */
    void trimShared(long maxBytes) {
        if (shared != null) {
            shared.trimKept(maxBytes);
        }
    }
}
