package io.ds4j.zero.comm;

import io.ds4j.zero.kernels.HostFloats;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Collectives} for ranks that are threads of one JVM sharing memory. {@link #create(int, Duration)} makes the
 * handles of a group; hand handle r to the thread of rank r (see {@link Ranks#run}).
 *
 * <p>Every collective has two phases separated by the group barrier: all ranks post their buffers, then each rank does
 * its share of the work reading the others' buffers directly (no staging copy), then all ranks wait until everybody is
 * done before any buffer may change again. An all-reduce is split into {@code worldSize} even segments; rank r sums
 * segment r in rank order 0..N-1 and writes the sum into every rank's buffer, so the result is deterministic and
 * bit-identical on all ranks.
 *
 * <p>ND4J arrays that are FLOAT vectors contiguous in row-major order are posted as their own memory (the INDArray
 * overloads, and {@link BufferCollectives}): the other ranks read and write them in place, chunk by chunk through a
 * small tile of their own, so no collective copies a whole vector onto the Java heap (the interface's defaults do; a
 * strided view still takes them). A rank may post a heap array where another posts native memory.
 *
 * <p>A rank not arriving within the timeout aborts the group naming that rank, so a lost rank costs at most one
 * timeout, never a hang.
 */
public final class InProcessCollectives implements BufferCollectives {
    private final InProcessGroup group;
    private final int rank;
    private final EnumMap<CollectiveKind, CommStats.Counter> counters = new EnumMap<>(CollectiveKind.class);

    private InProcessCollectives(InProcessGroup group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /**
     * Creates the handles of a new group.
     *
     * @param worldSize number of ranks, at least 1
     * @param timeout   how long a rank waits for the others in one collective before aborting the group
     * @return handle r for rank r
     */
    public static List<InProcessCollectives> create(int worldSize, Duration timeout) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        InProcessGroup g = new InProcessGroup(worldSize, timeout.toNanos());
        List<InProcessCollectives> handles = new ArrayList<>();
        for (int r = 0; r < worldSize; r++) {
            handles.add(new InProcessCollectives(g, r));
        }
        return List.copyOf(handles);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return group.worldSize();
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length) {
        checkRange("allReduceSum data", data, offset, length);
        int n = worldSize();
        String op = "allReduceSum(length=" + length + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.ALL_REDUCE, data, offset, null, 0),
                new InProcessGroup.Shape(length, 0, -1, op), 0);
        int from = segment(length, rank, n);
        int to = segment(length, rank + 1, n);
        PostedSums.allReduce(posts(), from, to);
        group.complete(rank, op);
        count(CollectiveKind.ALL_REDUCE, 2L * (length - (to - from)), 4);
    }

    /** In place on the array's own memory when it is a contiguous FLOAT vector in row-major order, else the default. */
    @Override
    public void allReduceSum(INDArray data) {
        FloatBuffer b = nativeVector(data);
        if (b == null) {
            BufferCollectives.super.allReduceSum(data);
            return;
        }
        int length = (int) data.length();
        int n = worldSize();
        String op = "allReduceSum(length=" + length + ")";
        group.enter(rank, InProcessGroup.Posted.nativeVectors(CollectiveKind.ALL_REDUCE, b, length, null),
                new InProcessGroup.Shape(length, 0, -1, op), 0);
        int from = segment(length, rank, n);
        int to = segment(length, rank + 1, n);
        PostedSums.allReduce(posts(), from, to);
        group.complete(rank, op);
        HostFloats.written(data); // the other ranks wrote their segments into it
        count(CollectiveKind.ALL_REDUCE, 2L * (length - (to - from)), 4);
    }

    @Override
    public double allReduceSum(double value) {
        double[] all = scalars(value, "allReduceSum(scalar)");
        double s = all[0];
        for (int q = 1; q < all.length; q++) {
            s += all[q];
        }
        return s;
    }

    @Override
    public double[] allReduceSum(double[] values) {
        String op = "allReduceSum(double[" + values.length + "])";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.SCALAR_ALL_REDUCE, null, 0, null, 0,
                values.clone()), new InProcessGroup.Shape(values.length, 0, -1, op), 0);
        double[] out = group.posted(0).values().clone();
        for (int q = 1; q < worldSize(); q++) {
            double[] v = group.posted(q).values();
            for (int i = 0; i < out.length; i++) {
                out[i] += v[i]; // rank order, as the scalar sum
            }
        }
        group.complete(rank, op);
        count(CollectiveKind.SCALAR_ALL_REDUCE, (long) (worldSize() - 1) * values.length, 8);
        return out;
    }

    @Override
    public double allReduceMax(double value) {
        double[] all = scalars(value, "allReduceMax(scalar)");
        double m = all[0];
        for (int q = 1; q < all.length; q++) {
            m = Double.isNaN(m) || Double.isNaN(all[q]) ? Double.NaN : Math.max(m, all[q]);
        }
        return m;
    }

    private double[] scalars(double value, String op) {
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.SCALAR_ALL_REDUCE, null, 0, null, 0),
                new InProcessGroup.Shape(1, 0, -1, op), value);
        double[] all = new double[worldSize()];
        for (int q = 0; q < all.length; q++) {
            all[q] = group.scalar(q);
        }
        group.complete(rank, op);
        count(CollectiveKind.SCALAR_ALL_REDUCE, all.length - 1, 8);
        return all;
    }

    @Override
    public void reduceScatterSum(float[] input, int inputOffset, int stride, float[] output, int outputOffset,
            int length) {
        int n = worldSize();
        checkStrided("reduceScatterSum input", input, inputOffset, stride, length);
        checkRange("reduceScatterSum output", output, outputOffset, length);
        String op = "reduceScatterSum(length=" + length + ", stride=" + stride + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.REDUCE_SCATTER, input, inputOffset, output,
                outputOffset), new InProcessGroup.Shape(length, stride, -1, op), 0);
        PostedSums.reduceScatter(posts(), rank, stride, length);
        group.complete(rank, op);
        count(CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
    }

    /**
     * Reads every rank's block in place (a native one chunk by chunk through a tile), so no copy of the tensor is
     * made; the sum is the {@code float[]} form's, chunk for chunk.
     */
    @Override
    public void reduceScatterSum(FloatBuffer input, int numel, float[] output, int outputOffset, int length) {
        int n = worldSize();
        Objects.requireNonNull(input, "reduceScatterSum input");
        checkRange("reduceScatterSum output", output, outputOffset, length);
        if (numel < 0 || numel > input.capacity() || numel > (long) n * length) {
            throw new IllegalArgumentException("rank " + rank + ": reduceScatterSum of " + numel + " elements from a"
                    + " buffer of " + input.capacity() + " into " + n + " blocks of " + length);
        }
        String op = "reduceScatterSum(length=" + length + ", stride=" + length + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.REDUCE_SCATTER, null, 0, output, outputOffset,
                null, input, numel, null), new InProcessGroup.Shape(length, length, -1, op), 0);
        PostedSums.reduceScatter(posts(), rank, length, length);
        group.complete(rank, op);
        count(CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
    }

    /** Reads the inputs and writes the output in the arrays' own memory when both are native vectors (see above). */
    @Override
    public void reduceScatterSum(INDArray input, INDArray output) {
        long length = output.length();
        String op = enterBlocks(CollectiveKind.REDUCE_SCATTER, "reduceScatterSum", input, output, length * worldSize(),
                length);
        if (op == null) {
            BufferCollectives.super.reduceScatterSum(input, output);
            return;
        }
        PostedSums.reduceScatter(posts(), rank, (int) length, (int) length);
        completeBlocks(op, output, CollectiveKind.REDUCE_SCATTER, length);
    }

    /**
     * Posts native {@code input} and {@code output} for a contiguous block collective ({@code worldSize} blocks of
     * the shorter one's length), under the same shape as the {@code float[]} form; null, with nothing posted, where
     * they are not native vectors (see {@link #nativeVector}) of lengths {@code inLength} and {@code outLength}.
     */
    private String enterBlocks(CollectiveKind kind, String name, INDArray input, INDArray output, long inLength,
                               long outLength) {
        FloatBuffer in = nativeVector(input);
        FloatBuffer out = nativeVector(output);
        if (in == null || out == null || input.length() != inLength || output.length() != outLength) {
            return null;
        }
        int length = (int) Math.min(inLength, outLength);
        String op = name + "(length=" + length + ", stride=" + length + ")";
        group.enter(rank, InProcessGroup.Posted.nativeVectors(kind, in, (int) inLength, out),
                new InProcessGroup.Shape(length, length, -1, op), 0);
        return op;
    }

    private void completeBlocks(String op, INDArray output, CollectiveKind kind, long length) {
        group.complete(rank, op);
        HostFloats.written(output); // what the collective wrote into the array's memory is the newest
        count(kind, (worldSize() - 1) * length, 4);
    }

    @Override
    public void allGather(float[] input, int inputOffset, float[] output, int outputOffset, int stride, int length) {
        int n = worldSize();
        checkRange("allGather input", input, inputOffset, length);
        checkStrided("allGather output", output, outputOffset, stride, length);
        String op = "allGather(length=" + length + ", stride=" + stride + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.ALL_GATHER, input, inputOffset, output,
                outputOffset), new InProcessGroup.Shape(length, stride, -1, op), 0);
        gatherInto(n, stride, length);
        group.complete(rank, op);
        count(CollectiveKind.ALL_GATHER, (long) (n - 1) * length, 4);
    }

    /** Reads the inputs and writes the output in the arrays' own memory when both are native vectors (see above). */
    @Override
    public void allGather(INDArray input, INDArray output) {
        long length = input.length();
        String op = enterBlocks(CollectiveKind.ALL_GATHER, "allGather", input, output, length, length * worldSize());
        if (op == null) {
            BufferCollectives.super.allGather(input, output);
            return;
        }
        gatherInto(worldSize(), (int) length, (int) length);
        completeBlocks(op, output, CollectiveKind.ALL_GATHER, length);
    }

    @Override
    public void allGatherShared(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("rank " + rank + ": allGatherShared length must be >= 0, got " + length);
        }
        String op = "allGatherShared(length=" + length + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.ALL_GATHER, null, 0, null, 0),
                new InProcessGroup.Shape(length, length, -1, op), 0);
        count(CollectiveKind.ALL_GATHER, (long) (worldSize() - 1) * length, 4);
    }

    private void gatherInto(int n, int stride, int length) {
        InProcessGroup.Posted[] posts = posts();
        for (int q = 0; q < n; q++) {
            PostedSums.copy(posts[q], posts[rank], (long) q * stride, length, false);
        }
    }

    @Override
    public void broadcast(float[] data, int offset, int length, int root) {
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("broadcast root " + root + " is not a rank of this group (0.."
                    + (worldSize() - 1) + ")");
        }
        checkRange("broadcast data", data, offset, length);
        String op = "broadcast(length=" + length + ", root=" + root + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.BROADCAST, data, offset, null, 0),
                new InProcessGroup.Shape(length, 0, root, op), 0);
        if (rank != root) {
            PostedSums.copy(group.posted(root), group.posted(rank), 0, length, true);
        }
        group.complete(rank, op);
        count(CollectiveKind.BROADCAST, rank == root ? 0 : length, 4);
    }

    /** In place on the array's own memory when it is a native vector (see above), else the default. */
    @Override
    public void broadcast(INDArray data, int root) {
        FloatBuffer b = nativeVector(data);
        if (b == null || root < 0 || root >= worldSize()) {
            BufferCollectives.super.broadcast(data, root);
            return;
        }
        int length = (int) data.length();
        String op = "broadcast(length=" + length + ", root=" + root + ")";
        group.enter(rank, InProcessGroup.Posted.nativeVectors(CollectiveKind.BROADCAST, b, length, null),
                new InProcessGroup.Shape(length, 0, root, op), 0);
        if (rank != root) {
            PostedSums.copy(group.posted(root), group.posted(rank), 0, length, true);
        }
        group.complete(rank, op);
        HostFloats.written(data);
        count(CollectiveKind.BROADCAST, rank == root ? 0 : length, 4);
    }

    /**
     * Only the root sums (in rank order, chunk by chunk, as {@link #allReduceSum(float[], int, int)} does, so each
     * element is bit-identical to the all-reduce's); every other rank posts its vector, which is not modified. Ring
     * volume: each non-root rank sends its {@code length} elements once.
     */
    @Override
    public void reduceSum(float[] data, int offset, int length, int root) {
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("reduceSum root " + root + " is not a rank of this group (0.."
                    + (worldSize() - 1) + ")");
        }
        checkRange("reduceSum data", data, offset, length);
        String op = "reduceSum(length=" + length + ", root=" + root + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.REDUCE, data, offset, null, 0),
                new InProcessGroup.Shape(length, 0, root, op), 0);
        if (rank == root) {
            PostedSums.reduceTo(posts(), root, length);
        }
        group.complete(rank, op);
        count(CollectiveKind.REDUCE, rank == root ? 0 : length, 4);
    }

    @Override
    public void barrier() {
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.BARRIER, null, 0, null, 0),
                new InProcessGroup.Shape(0, 0, -1, "barrier"), 0);
        count(CollectiveKind.BARRIER, 0, 0);
    }

    @Override
    public void abort(Throwable cause) {
        group.abort(rank, Objects.requireNonNull(cause, "cause"));
    }

    @Override
    public synchronized CommStats stats() {
        return new CommStats(counters);
    }

    private synchronized void count(CollectiveKind kind, long elements, int bytesPerElement) {
        counters.merge(kind, new CommStats.Counter(1, elements, elements * bytesPerElement), CommStats.Counter::plus);
    }

    private InProcessGroup.Posted[] posts() {
        InProcessGroup.Posted[] posts = new InProcessGroup.Posted[worldSize()];
        for (int q = 0; q < posts.length; q++) {
            posts[q] = group.posted(q);
        }
        return posts;
    }

    /**
     * The memory of a FLOAT array whose elements lie consecutively in its buffer in row-major order (a vector, or a
     * C-order array or view with element-wise stride 1), element 0 at index 0; null for anything else, which takes
     * the interface's copying default (it checks the type and names what is wrong).
     */
    private static FloatBuffer nativeVector(INDArray a) {
        if (a == null || a.dataType() != DataType.FLOAT || a.isEmpty() || a.length() > Integer.MAX_VALUE - 8
                || a.elementWiseStride() != 1 || (a.ordering() != 'c' && !a.isVector() && a.rank() > 1)) {
            return null;
        }
        return HostFloats.buffer(a); // a view of the array's memory from its offset: writes land in the array
    }

    /** Start of segment {@code s} of the even split of {@code length} into {@code n} segments. */
    static int segment(int length, int s, int n) {
        return (int) ((long) length * s / n);
    }

    private void checkRange(String what, float[] a, int offset, int length) {
        Objects.requireNonNull(a, what);
        if (offset < 0 || length < 0 || (long) offset + length > a.length) {
            throw new IllegalArgumentException("rank " + rank + ": " + what + " range [" + offset + ", "
                    + ((long) offset + length) + ") is outside the array of length " + a.length);
        }
    }

    private void checkStrided(String what, float[] a, int offset, int stride, int length) {
        if (stride < length) {
            throw new IllegalArgumentException("rank " + rank + ": " + what + " stride " + stride
                    + " is smaller than the block length " + length + "; blocks must not overlap");
        }
        checkRange(what, a, offset, (int) Math.min(Integer.MAX_VALUE,
                (long) stride * (worldSize() - 1) + length));
    }
}
