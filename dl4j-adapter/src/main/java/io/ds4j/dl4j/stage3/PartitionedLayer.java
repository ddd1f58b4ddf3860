package io.ds4j.dl4j.stage3;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.precision.HalfCodec;
import io.ds4j.zero.comm.BufferCollectives;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.TransientBuffers;
import java.nio.FloatBuffer;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One DL4J layer of a rank whose parameters are partitioned: its {@link PartitionedParam}s (one per DL4J parameter,
 * in flat order) and the binding of the layer to the rank's compute scratch.
 *
 * <p>{@link #bind()} copies the gathered tensors into the front of the parameter scratch and points the layer's
 * parameter table at views of it; {@link #bindGradients()} points its gradient views at the front of the gradient
 * scratch. The scratch is shared by all layers of the rank (they run one at a time), so a layer that is not bound
 * holds stale views that are never read: the state machine of its parameters guarantees a bind before every use.
 */
final class PartitionedLayer {
    private final Layer layer;
    private final NeuralNetConfiguration conf;
    private final List<PartitionedParam> params;
    private final List<FlatLayout.Slot> slots;
    private final int numParams;
    private final boolean inPlace;
    // The buffers the layer's views were last taken of, so that a step that hands the layer the same buffer again
    // (the module buffers' pool and the gradient scratch do, step after step) keeps its views instead of making new
    // ones: each ND4J view leaves Java objects behind that only a garbage collection frees, with the native memory of
    // their shape and view records (ResidentGuard). Null when unbound or bound by bind() (a copy).
    private INDArray paramsOf;
    private INDArray gradientsOf;
    private INDArray gradientView;

    PartitionedLayer(Layer layer, NeuralNetConfiguration conf, List<PartitionedParam> params,
                     List<FlatLayout.Slot> slots) {
        this.layer = layer;
        this.conf = conf;
        this.params = List.copyOf(params);
        this.slots = List.copyOf(slots);
        this.numParams = params.stream().mapToInt(p -> p.spec().numel()).sum();
        this.inPlace = layer.params() != null && layer.params().dataType() == DataType.FLOAT
                && !(layer instanceof org.deeplearning4j.nn.layers.samediff.SameDiffLayer
                || layer instanceof org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer);
    }

    Layer layer() {
        return layer;
    }

    List<PartitionedParam> params() {
        return params;
    }

    List<FlatLayout.Slot> slots() {
        return slots;
    }

    int numParams() {
        return numParams;
    }

    /**
     * Whether the layer can compute on its gathered memory ({@link ModuleBuffers}): FLOAT compute (a HALF layer
     * computes on a HALF cast) and a layer that takes new parameter views (a SameDiff layer keeps the memory it was
     * first bound to: see {@code GraphRank}).
     */
    boolean computesInPlace() {
        return inPlace;
    }

    /**
     * Points the layer at its module buffer, where its non-persistent parameters were gathered: the persistent ones
     * (held on the heap) are copied into their ranges, and the layer's views are views of {@code buffer[0,
     * numParams)}, the gathered memory itself.
     */
    void bindInPlace(INDArray buffer, boolean persistentWritten) {
        if (numParams == 0) {
            return;
        }
        if (!persistentWritten) {
            writePersistent(buffer);
        }
        if (buffer == paramsOf) {
            return; // the views of the last bind are views of this buffer's front, where the values now are
        }
        INDArray view = front(buffer, numParams);
        layer.setParamTable(conf.getLayer().initializer().init(conf, view, false));
        layer.setParamsViewArray(view);
        paramsOf = buffer;
    }

    /**
     * Copies the persistent parameters (held gathered on the heap) into their ranges of the module buffer
     * {@code buffer}, whose other ranges the gathers fill.
     */
    void writePersistent(INDArray buffer) {
        if (numParams == 0) {
            return;
        }
        FloatBuffer nio = HostFloats.current(buffer);
        int at = (int) buffer.offset();
        for (PartitionedParam p : params) {
            if (p.isPersistent()) {
                nio.put(at, p.full(), 0, p.spec().numel());
            }
            at += p.spec().numel();
        }
        HostFloats.written(buffer);
    }

    /** Points the layer at its gathered parameters (copied into {@code scratch[0, numParams)}). */
    void bind(INDArray scratch) {
        if (numParams == 0) {
            return;
        }
        INDArray view = front(scratch, numParams);
        if (scratch.dataType() == DataType.FLOAT) {
            FloatBuffer nio = HostFloats.current(scratch);
            int at = 0;
            for (PartitionedParam p : params) {
                int n = p.spec().numel();
                nio.position(at);
                nio.put(p.full(), 0, n);
                at += n;
            }
            HostFloats.written(scratch);
        } else if (scratch.dataType() != DataType.HALF || !bindHalf(scratch)) {
            // a value that is not an fp16 value (or NaN): ND4J casts the layer, through a copy of it
            float[] all = new float[numParams];
            int at = 0;
            for (PartitionedParam p : params) {
                System.arraycopy(p.full(), 0, all, at, p.spec().numel());
                at += p.spec().numel();
            }
            view.assign(Nd4j.createFromArray(all).reshape(1, numParams));
        }
        layer.setParamTable(conf.getLayer().initializer().init(conf, view, false));
        layer.setParamsViewArray(view);
        paramsOf = null;
    }

    /**
     * Writes the gathered values into a HALF scratch as fp16 bits, through a tile of {@value #TILE} elements: no copy
     * of the layer (the gathered values of HALF compute are fp16 values, so their bits are unique and equal to ND4J's
     * cast, {@code HalfCodecTest} checks every one). Returns false, with the scratch partly written, at the first
     * value that is not an fp16 value or is NaN, whose bits the caller leaves to ND4J's cast.
     */
    private boolean bindHalf(INDArray scratch) {
        java.nio.ShortBuffer bits = HostFloats.currentShorts(scratch);
        short[] tile = HALF_TILE.get();
        float[] back = BACK_TILE.get();
        int at = (int) scratch.offset();
        for (PartitionedParam p : params) {
            float[] full = p.full();
            int n = p.spec().numel();
            for (int k = 0; k < n; k += tile.length) {
                int len = Math.min(tile.length, n - k);
                HalfCodec.FP16.encode(full, k, tile, 0, len);
                HalfCodec.FP16.decode(tile, 0, back, 0, len, 1f);
                for (int i = 0; i < len; i++) {
                    if (Float.floatToRawIntBits(back[i]) != Float.floatToRawIntBits(full[k + i])) {
                        return false;
                    }
                }
                bits.put(at + k, tile, 0, len);
            }
            at += n;
        }
        HostFloats.written(scratch);
        return true;
    }

    /**
     * Where a layer's reduced gradient shards go: {@link #accept} (added to what is accumulated), or, for a parameter
     * whose {@link #target} is not null, written by the reduce-scatter straight into that array, then {@link #filled}.
     */
    interface GradientSink {
        void accept(FloatBuffer shard, int i);

        default INDArray target(int i, int length) {
            return null;
        }

        default void filled(int i) {
        }
    }

    /** Elements encoded at a time by {@link #bindHalf}. */
    private static final int TILE = 4096;
    // bindHalf's tiles, one pair per rank thread (the rank threads live as long as the trainer) instead of one per bind
    private static final ThreadLocal<short[]> HALF_TILE = ThreadLocal.withInitial(() -> new short[TILE]);
    private static final ThreadLocal<float[]> BACK_TILE = ThreadLocal.withInitial(() -> new float[TILE]);

    /** Zeroes {@code scratch[0, numParams)} and points the layer's gradient views at it. */
    void bindGradients(INDArray scratch) {
        if (numParams == 0) {
            return;
        }
        if (scratch != gradientsOf) {
            gradientView = front(scratch, numParams);
            layer.setBackpropGradientsViewArray(gradientView);
            gradientsOf = scratch;
        }
        gradientView.assign(0);
    }

    /**
     * Reduce-scatters the layer's gradient, as DL4J wrote it into {@code scratch[0, numParams)}: each parameter's
     * gradient is first passed to {@code store} (with its length) to become the stored gradient, then its rank-summed
     * shard goes to {@code sink} (from position 0) with the parameter's index in this layer. A null {@code store}
     * means the stored gradient is the computed one (fp32); then, at world size 1, where the reduce-scatter is a copy
     * of the rank's own gradient, each shard goes to {@code sink} straight from the FLOAT scratch, without the two
     * heap copies (full tensor and shard) of the general path; on {@link BufferCollectives} (ranks as threads) the
     * reduce-scatter reads every rank's FLOAT scratch in place, so only the shard is a heap buffer; on other
     * collectives (UCX between processes) it goes from the FLOAT scratch through their INDArray form into a native
     * shard, no heap copy ({@link #reduceScatterNative}).
     */
    void reduceScatter(INDArray scratch, Collectives comm, TransientBuffers buffers,
                       java.util.function.ObjIntConsumer<float[]> store,
                       GradientSink sink) {
        if (numParams == 0) {
            return;
        }
        FloatBuffer nio = hostFloats(scratch);
        boolean fromScratch = store == null && scratch.dataType() == DataType.FLOAT;
        boolean direct = fromScratch && comm.worldSize() == 1;
        BufferCollectives inPlace = fromScratch && comm instanceof BufferCollectives b ? b : null;
        int at = 0;
        for (int i = 0; i < params.size(); i++) {
            PartitionedParam p = params.get(i);
            int n = p.spec().numel();
            INDArray target = fromScratch && !direct && at + p.layout().paddedLength() <= scratch.length()
                    ? sink.target(i, p.store().length()) : null;
            if (direct) {
                nio.position(at);
                sink.accept(nio.slice(), i);
            } else if (target != null) {
                reduceScatterFromScratch(p, scratch, at, comm, target); // into the gradient partition itself
                sink.filled(i);
            } else if (inPlace != null) {
                nio.position(at);
                float[] shard = buffers.acquire(p.store().length(), "stage3 gradient shard " + p.spec().name(),
                        false);
                p.reduceScatter(inPlace, nio.slice(), shard); // the other ranks read this rank's scratch
                sink.accept(FloatBuffer.wrap(shard), i);
                buffers.release(shard);
            } else if (fromScratch && at + p.layout().paddedLength() <= scratch.length()) {
                reduceScatterNative(p, scratch, at, comm, buffers, sink, i);
            } else {
                reduceScatterCopied(p, nio, at, comm, buffers, store, sink, i);
            }
            at += n;
        }
    }

    /**
     * One fp32 parameter's reduce-scatter from the FLOAT scratch where the backward wrote it, through the collectives'
     * INDArray form (UCX sends from and receives into native memory without a copy): the tensor's padding, the up to
     * {@code worldSize - 1} scratch elements past it, is zeroed for the call and restored after (they may be the next
     * tensor's gradient), so the sum is the zero-padded tensor's, as on the heap path; the shard is a pooled native
     * buffer read by {@code sink} in place.
     */
    private static void reduceScatterNative(PartitionedParam p, INDArray scratch, int at, Collectives comm,
                                            TransientBuffers buffers, GradientSink sink, int i) {
        int s = p.store().length();
        INDArray shard = buffers.acquireNative(Math.max(1, s), "stage3 gradient shard " + p.spec().name(), 0);
        try {
            INDArray out = front(shard, s);
            reduceScatterFromScratch(p, scratch, at, comm, out);
            sink.accept(HostFloats.buffer(out), i);
        } finally {
            buffers.release(shard);
        }
    }

    /**
     * The reduce-scatter of {@code p}'s gradient at {@code scratch[at, at + numel)} into {@code out} (the shard's
     * length), through the collectives' INDArray form: the scratch elements of the tensor's padding are zeroed for
     * the call and restored after. The other ranks read only their own blocks of this rank's input (the padding
     * belongs to the last block, whose shard's padding no one reads).
     */
    private static void reduceScatterFromScratch(PartitionedParam p, INDArray scratch, int at, Collectives comm,
                                                 INDArray out) {
        int n = p.spec().numel();
        int padded = (int) p.layout().paddedLength();
        FloatBuffer mem = HostFloats.current(scratch);
        int base = (int) scratch.offset() + at;
        float[] beyond = new float[padded - n];
        mem.get(base + n, beyond, 0, beyond.length);
        for (int k = n; k < padded; k++) {
            mem.put(base + k, 0f);
        }
        HostFloats.written(scratch);
        comm.reduceScatterSum(scratch.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(at, at + padded)),
                out);
        mem = HostFloats.current(scratch);
        mem.put(base + n, beyond, 0, beyond.length);
        HostFloats.written(scratch);
    }

    /** One parameter's reduce-scatter through heap buffers (any world size, any precision). */
    private static void reduceScatterCopied(PartitionedParam p, FloatBuffer nio, int at, Collectives comm,
                                            TransientBuffers buffers,
                                            java.util.function.ObjIntConsumer<float[]> store,
                                            GradientSink sink, int i) {
        int n = p.spec().numel();
        float[] full = buffers.acquire((int) p.layout().paddedLength(), "stage3 gradient " + p.spec().name(), false);
        nio.position(at);
        nio.get(full, 0, n);
        if (store != null) {
            store.accept(full, n); // mixed precision: the stored 16-bit gradient
        }
        float[] shard = buffers.acquire(p.store().length(), "stage3 gradient shard " + p.spec().name(), false);
        p.reduceScatter(comm, full, shard);
        buffers.release(full);
        sink.accept(FloatBuffer.wrap(shard), i);
        buffers.release(shard);
    }

    /**
     * The layer's gradient as host floats from position 0: the FLOAT scratch itself, or a FLOAT copy of a HALF
     * scratch's front (exact).
     */
    private FloatBuffer hostFloats(INDArray scratch) {
        INDArray src = scratch.dataType() == DataType.FLOAT ? scratch
                : front(scratch, numParams).castTo(DataType.FLOAT);
        FloatBuffer nio = HostFloats.current(src);
        nio.position((int) src.offset());
        return nio.slice();
    }

    private static INDArray front(INDArray scratch, int n) {
        return scratch.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(0, n));
    }
}
