package io.ds4j.zero.comm;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;

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
 * <p>A rank not arriving within the timeout aborts the group naming that rank, so a lost rank costs at most one
 * timeout, never a hang.
 */
public final class InProcessCollectives implements BufferCollectives {
    /** Elements summed per chunk: small enough for L1/L2, large enough to amortize the loop set-up. */
    private static final int CHUNK = 4096;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK]);
    /** A chunk of a rank's native vector on its way into the sum. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[CHUNK]);
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
        float[][] arrays = new float[n][];
        int[] offsets = new int[n];
        for (int q = 0; q < n; q++) {
            arrays[q] = group.posted(q).in();
            offsets[q] = group.posted(q).inOffset();
        }
        float[] acc = SCRATCH.get();
        for (int at = from; at < to; at += CHUNK) {
            int len = Math.min(CHUNK, to - at);
            sumInRankOrder(arrays, offsets, at, len, acc);
            for (int q = 0; q < n; q++) {
                System.arraycopy(acc, 0, arrays[q], offsets[q] + at, len);
            }
        }
        group.complete(rank, op);
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
        sumOwnBlock(output, outputOffset, length, stride);
        group.complete(rank, op);
        count(CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
    }

    /**
     * Reads every rank's block in place (a native one chunk by chunk through a {@value #CHUNK}-element tile), so no
     * copy of the tensor is made; the sum is the {@code float[]} form's, chunk for chunk.
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
                null, input, numel), new InProcessGroup.Shape(length, length, -1, op), 0);
        sumOwnBlock(output, outputOffset, length, length);
        group.complete(rank, op);
        count(CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
    }

    /** {@code output[outputOffset, +length)} = the rank-order sum of block {@code rank} of every rank's post. */
    private void sumOwnBlock(float[] output, int outputOffset, int length, int stride) {
        int n = worldSize();
        InProcessGroup.Posted[] posts = new InProcessGroup.Posted[n];
        for (int q = 0; q < n; q++) {
            posts[q] = group.posted(q);
        }
        long block = (long) rank * stride;
        float[] acc = SCRATCH.get();
        float[] tile = TILE.get();
        for (int at = 0; at < length; at += CHUNK) {
            int len = Math.min(CHUNK, length - at);
            for (int q = 0; q < n; q++) {
                InProcessGroup.Posted p = posts[q];
                float[] src;
                int o;
                if (p.in() != null) {
                    src = p.in();
                    o = (int) (p.inOffset() + block + at);
                } else {
                    src = q == 0 ? acc : tile;
                    o = 0;
                    long from = block + at;
                    int k = (int) Math.max(0, Math.min(len, p.nativeNumel() - from));
                    if (k > 0) {
                        p.nativeIn().get((int) from, src, 0, k);
                    }
                    java.util.Arrays.fill(src, k, len, 0f); // the padding
                }
                if (q == 0) {
                    if (src != acc) {
                        System.arraycopy(src, o, acc, 0, len);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        acc[i] += src[o + i];
                    }
                }
            }
            System.arraycopy(acc, 0, output, outputOffset + at, len);
        }
    }

    @Override
    public void allGather(float[] input, int inputOffset, float[] output, int outputOffset, int stride, int length) {
        int n = worldSize();
        checkRange("allGather input", input, inputOffset, length);
        checkStrided("allGather output", output, outputOffset, stride, length);
        String op = "allGather(length=" + length + ", stride=" + stride + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.ALL_GATHER, input, inputOffset, output,
                outputOffset), new InProcessGroup.Shape(length, stride, -1, op), 0);
        for (int q = 0; q < n; q++) {
            InProcessGroup.Posted p = group.posted(q);
            int dst = outputOffset + q * stride;
            if (p.in() != output || p.inOffset() != dst) {
                System.arraycopy(p.in(), p.inOffset(), output, dst, length);
            }
        }
        group.complete(rank, op);
        count(CollectiveKind.ALL_GATHER, (long) (n - 1) * length, 4);
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
            InProcessGroup.Posted p = group.posted(root);
            System.arraycopy(p.in(), p.inOffset(), data, offset, length);
        }
        group.complete(rank, op);
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
        int n = worldSize();
        String op = "reduceSum(length=" + length + ", root=" + root + ")";
        group.enter(rank, new InProcessGroup.Posted(CollectiveKind.REDUCE, data, offset, null, 0),
                new InProcessGroup.Shape(length, 0, root, op), 0);
        if (rank == root) {
            float[][] arrays = new float[n][];
            int[] offsets = new int[n];
            for (int q = 0; q < n; q++) {
                arrays[q] = group.posted(q).in();
                offsets[q] = group.posted(q).inOffset();
            }
            float[] acc = SCRATCH.get();
            for (int at = 0; at < length; at += CHUNK) {
                int len = Math.min(CHUNK, length - at);
                sumInRankOrder(arrays, offsets, at, len, acc);
                System.arraycopy(acc, 0, data, offset + at, len);
            }
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

    /**
     * {@code acc[0, len) = ((in_0 + in_1) + in_2) + ...} at {@code offsets[q] + at} of every rank's array: the fixed
     * rank order, one rank at a time over a chunk so the loops vectorize. The chunk is staged in {@code acc} before
     * anything is written, so an output may alias an input.
     */
    private static void sumInRankOrder(float[][] arrays, int[] offsets, int at, int len, float[] acc) {
        System.arraycopy(arrays[0], offsets[0] + at, acc, 0, len);
        for (int q = 1; q < arrays.length; q++) {
            float[] a = arrays[q];
            int o = offsets[q] + at;
            for (int i = 0; i < len; i++) {
                acc[i] += a[o + i];
            }
        }
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
