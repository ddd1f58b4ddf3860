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
 * Confined to the rank's thread.
 */
final class ModuleBuffers implements PartitionedParam.Placement {
    private record Site(PartitionedLayer module, int offset) { }

    private static final class Held {
        INDArray buffer;
        int users;
    }

    private final TransientBuffers buffers;
    private final Map<PartitionedParam, Site> sites = new IdentityHashMap<>();
    private final Map<PartitionedLayer, Held> held = new IdentityHashMap<>();
    private final Map<PartitionedLayer, String> labels = new HashMap<>();
    private final Map<PartitionedParam, INDArray> spills = new IdentityHashMap<>();
    private final Map<PartitionedParam, float[]> shifted = new IdentityHashMap<>(); // the tail gathered over
    private final float[] tile = new float[4096];

    ModuleBuffers(TransientBuffers buffers) {
        this.buffers = buffers;
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
        return view(b, s.offset(), end);
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
        if (h.buffer == null) {
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
