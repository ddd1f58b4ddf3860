package io.ds4j.zero.comm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The collectives of one rank of a group: the only way ranks exchange data.
 *
 * <h2>Call order</h2>
 * Every rank of the group calls the same collectives in the same order with the same shape (length, stride, root).
 * A call returns when this rank's part is complete; after it returns the rank may reuse its buffers. A mismatch is an
 * error, never silently wrong data. A rank that fails must call {@link #abort(Throwable)} so that the others do not
 * wait for it; they throw {@link CollectiveAbortedException}. After an abort every collective of the group throws.
 *
 * <h2>Buffer rules</h2>
 * Vectors are fp32, on the heap ({@code float[]} with offsets) or ND4J {@link INDArray}s of type FLOAT (any order and
 * view is accepted; this interface's defaults copy them through the heap, an implementation may work in the array's
 * memory, as {@link InProcessCollectives} does for contiguous ones). Different ranks must pass different arrays, except
 * where a method says that an argument may alias another of the same rank. Reductions sum in rank order 0, 1, ..., N-1,
 * so every rank gets bit-identical results and a run is reproducible.
 *
 * <h2>Strided blocks</h2>
 * Reduce-scatter and all-gather see the flat vector as {@code worldSize} blocks of {@code length} elements, block q
 * starting at {@code offset + q * stride}. With {@code stride == length} the blocks are contiguous; with {@code stride}
 * = shard length and {@code length} = bucket piece, one call moves one bucket of every shard.
 */
public interface Collectives {
    /** This rank, {@code 0 <= rank() < worldSize()}. */
    int rank();

    /** The number of ranks in the group. */
    int worldSize();

    /** In place: {@code data[offset, offset+length)} becomes the element-wise sum over ranks. */
    void allReduceSum(float[] data, int offset, int length);

    /** The sum of {@code value} over ranks (rank order), identical on every rank. */
    double allReduceSum(double value);

    /**
     * The element-wise sum over ranks (rank order) of {@code values}, which every rank gives with the same length;
     * each element is identical to {@link #allReduceSum(double)} of it. This default makes one collective per
     * element; implementations do it in one.
     */
    default double[] allReduceSum(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = allReduceSum(values[i]);
        }
        return out;
    }

    /** The maximum of {@code value} over ranks; NaN on any rank gives NaN (an overflow must never be missed). */
    double allReduceMax(double value);

    /**
     * Rank r receives {@code sum over q of block r of rank q's input} in {@code output[outputOffset, +length)}.
     * Block r of the input is {@code input[inputOffset + r*stride, +length)}. The output may alias the own block of
     * the input (in-place reduce-scatter of a full-length buffer).
     */
    void reduceScatterSum(float[] input, int inputOffset, int stride, float[] output, int outputOffset, int length);

    /**
     * Every rank receives rank q's {@code input[inputOffset, +length)} at {@code output[outputOffset + q*stride,
     * +length)}. The input may alias the own block of the output (in-place all-gather).
     */
    void allGather(float[] input, int inputOffset, float[] output, int outputOffset, int stride, int length);

    /**
     * The root's {@code data[offset, +length)} becomes the element-wise sum over ranks (rank order) of every rank's;
     * the other ranks' {@code data} is left as it was or, in this default, also receives the sum. This default is an
     * all-reduce (twice the volume of a reduce); an implementation that can reduce to one rank overrides it. ZeRO-2
     * reduces each gradient bucket to the ranks that own its elements this way, as DeepSpeed does.
     */
    default void reduceSum(float[] data, int offset, int length, int root) {
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("reduceSum root " + root + " is not a rank of this group (0.."
                    + (worldSize() - 1) + ")");
        }
        allReduceSum(data, offset, length);
    }

    /** Every rank's {@code data[offset, +length)} becomes the root's. */
    void broadcast(float[] data, int offset, int length, int root);

    /** Returns when every rank has called it. */
    void barrier();

    /**
     * Marks this rank as failed with {@code cause}: every rank blocked in or entering a collective of the group throws
     * {@link CollectiveAbortedException} naming this rank. Idempotent; the first abort of a group wins.
     */
    void abort(Throwable cause);

    /** What this rank moved so far (ring volume, see {@link CommStats}). */
    CommStats stats();

    /** {@link #allReduceSum(float[], int, int)} on an ND4J FLOAT array, in place. */
    default void allReduceSum(INDArray data) {
        float[] a = heapCopy(data, "allReduceSum");
        allReduceSum(a, 0, a.length);
        data.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(a).reshape(data.shape()));
    }

    /** Contiguous reduce-scatter: {@code input} holds {@code worldSize} blocks of {@code output.length()}. */
    default void reduceScatterSum(INDArray input, INDArray output) {
        float[] in = heapCopy(input, "reduceScatterSum input");
        float[] out = new float[(int) output.length()];
        if ((long) out.length * worldSize() != in.length) {
            throw new IllegalArgumentException("reduceScatterSum: input length " + in.length + " must be worldSize "
                    + worldSize() + " x output length " + out.length);
        }
        reduceScatterSum(in, 0, out.length, out, 0, out.length);
        output.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(out).reshape(output.shape()));
    }

    /** Contiguous all-gather: {@code output} receives {@code worldSize} blocks of {@code input.length()}. */
    default void allGather(INDArray input, INDArray output) {
        float[] in = heapCopy(input, "allGather input");
        float[] out = new float[(int) output.length()];
        if ((long) in.length * worldSize() != out.length) {
            throw new IllegalArgumentException("allGather: output length " + out.length + " must be worldSize "
                    + worldSize() + " x input length " + in.length);
        }
        allGather(in, 0, out, 0, in.length, in.length);
        output.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(out).reshape(output.shape()));
    }

    /** {@link #broadcast(float[], int, int, int)} on an ND4J FLOAT array, in place. */
    default void broadcast(INDArray data, int root) {
        float[] a = heapCopy(data, "broadcast");
        broadcast(a, 0, a.length, root);
        data.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(a).reshape(data.shape()));
    }

    /**
     * Records in {@code ledger} the buffers these collectives hold for their transport, as they are allocated (UCX's
     * staging slots: {@link io.ds4j.zero.ledger.MemoryCategory#COMM_BUFFERS} on the host tier, released at close);
     * nothing for collectives that read the ranks' arrays in place.
     */
    default void accountIn(io.ds4j.zero.ledger.MemoryLedger ledger) {
    }

    private static float[] heapCopy(INDArray a, String what) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(what + ": data type " + a.dataType()
                    + " is not supported; collectives move FLOAT arrays (cast with castTo(DataType.FLOAT))");
        }
        if (a.length() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": length " + a.length() + " exceeds a Java array; split it");
        }
        return a.ravel().toFloatVector();
    }
}
