package io.ds4j.dl4j.stage3;

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
 * copied in when the module is bound. A buffer is {@code worldSize - 1} elements longer than the module, room for the
 * padding of its last tensor's gather. Buffers come from the rank's {@link TransientBuffers} pool (ledger
 * {@code COMM_BUFFERS}) and go back to it when the module's last parameter is released and it is not running.
 * Confined to the rank's thread.
 */
final class ModuleBuffers implements PartitionedParam.Placement {
    private record Site(PartitionedLayer module, int offset) { }

    private static final class Held {
        INDArray buffer;
        int users;
    }

    private final TransientBuffers buffers;
    private final int slack;
    private final Map<PartitionedParam, Site> sites = new IdentityHashMap<>();
    private final Map<PartitionedLayer, Held> held = new IdentityHashMap<>();
    private final Map<PartitionedLayer, String> labels = new HashMap<>();

    ModuleBuffers(TransientBuffers buffers, int worldSize) {
        this.buffers = buffers;
        this.slack = worldSize - 1;
    }

    /** Gathers {@code module}'s parameters into its buffer from now on. */
    void place(PartitionedLayer module, String name) {
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
        return b.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(s.offset(),
                s.offset() + p.layout().paddedLength()));
    }

    @Override
    public void release(PartitionedParam p) {
        unhold(sites.get(p).module());
    }

    /** The module's buffer, acquired if none is held, with one more user (a gathered tensor or the running layer). */
    INDArray hold(PartitionedLayer module) {
        Held h = held.get(module);
        if (h.buffer == null) {
            h.buffer = buffers.acquireNative(module.numParams() + slack, labels.get(module), 0);
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
            buffers.release(h.buffer);
            h.buffer = null;
        }
    }

    /** Gives back every buffer still held (when the rank closes, after its parameters were freed). */
    void close() {
        for (Held h : held.values()) {
            if (h.buffer != null) {
                buffers.release(h.buffer);
                h.buffer = null;
                h.users = 0;
            }
        }
    }
}
