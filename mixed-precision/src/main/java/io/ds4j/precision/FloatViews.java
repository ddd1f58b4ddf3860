package io.ds4j.precision;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chunked access to the elements of a FLOAT {@link INDArray} through its host buffer, so that Java loops over
 * {@code float[]} chunks can read or rewrite it without ND4J ops (whose bf16/half kernels are wrong or slow on the
 * CPU backend).
 *
 * <p>An array whose elements sit at a constant stride in its buffer (ND4J's element-wise stride &gt; 0: whole
 * arrays, contiguous views with an offset such as the per-layer views of DL4J's flat vector, rows, columns) is
 * accessed in place: {@code DataBuffer.asNioFloat()} spans the whole underlying allocation, element {@code k} sits
 * at {@code offset() + k * elementWiseStride()}. Other views are copied ({@code dup('c')}), processed and assigned
 * back. Reads that need positions (conversions into a {@code short[]}) follow C order; a non-vector array in F order
 * takes the copying path for them. On GPU backends the array is made current on the host first and marked as
 * written there afterwards.
 */
final class FloatViews {

    /** Elements per chunk: 16 KiB of floats, small enough for L1/L2, large enough to amortise the buffer calls. */
    static final int CHUNK = 4096;

    /** Receives consecutive chunks of a read; {@code start} is the index of {@code chunk[0]}; true stops early. */
    @FunctionalInterface
    interface Reader {
        boolean accept(float[] chunk, int n, long start);
    }

    /** Rewrites {@code chunk[off, off+n)} in place. */
    @FunctionalInterface
    interface Updater {
        void apply(float[] chunk, int off, int n);
    }

    private FloatViews() {
    }

    /** The number of elements of {@code v}, after checking that it is FLOAT and fits an int-indexed buffer. */
    static int length(INDArray v) {
        if (v.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + v.dataType()
                    + "; ds4j keeps fp16/bf16 values in FLOAT arrays (cast with castTo(DataType.FLOAT))");
        }
        long n = v.isEmpty() ? 0 : v.length();
        if (n > Integer.MAX_VALUE - CHUNK) {
            throw new IllegalArgumentException("array of " + n + " elements is too long for one call; pass views "
                    + "of at most " + (Integer.MAX_VALUE - CHUNK) + " elements");
        }
        return (int) n;
    }

    /**
     * Feeds the elements of {@code v} to {@code reader} chunk by chunk; true if the reader stopped early.
     *
     * @param cOrder true when the reader needs C order (it stores by position); false for order-free scans
     */
    static boolean read(INDArray v, boolean cOrder, Reader reader) {
        int n = length(v);
        if (n == 0) {
            return false;
        }
        boolean inPlace = v.elementWiseStride() > 0
                && (!cOrder || v.rank() <= 1 || v.isVector() || v.ordering() == 'c');
        INDArray source = inPlace ? v : v.dup('c');
        Nd4j.getAffinityManager().ensureLocation(source, AffinityManager.Location.HOST);
        FloatBuffer buffer = buffer(source, n);
        int base = (int) source.offset();
        int stride = source.elementWiseStride();
        float[] chunk = new float[Math.min(n, CHUNK)];
        for (int start = 0; start < n; start += CHUNK) {
            int len = Math.min(CHUNK, n - start);
            load(buffer, base + start * stride, stride, chunk, len);
            if (reader.accept(chunk, len, start)) {
                return true;
            }
        }
        return false;
    }

    /** Applies {@code updater} to every element of {@code v} in place (order irrelevant: element-wise). */
    static void update(INDArray v, Updater updater) {
        int n = length(v);
        if (n == 0) {
            return;
        }
        if (v.elementWiseStride() <= 0) {
            INDArray copy = v.dup('c');
            update(copy, updater);
            v.assign(copy);
            return;
        }
        AffinityManager affinity = Nd4j.getAffinityManager();
        affinity.ensureLocation(v, AffinityManager.Location.HOST);
        FloatBuffer buffer = buffer(v, n);
        int base = (int) v.offset();
        int stride = v.elementWiseStride();
        float[] chunk = new float[Math.min(n, CHUNK)];
        for (int start = 0; start < n; start += CHUNK) {
            int len = Math.min(CHUNK, n - start);
            int at = base + start * stride;
            load(buffer, at, stride, chunk, len);
            updater.apply(chunk, 0, len);
            store(buffer, at, stride, chunk, len);
        }
        affinity.tagLocation(v, AffinityManager.Location.HOST);
    }

    private static FloatBuffer buffer(INDArray v, int n) {
        FloatBuffer buffer = v.data().asNioFloat();
        long last = v.offset() + (long) (n - 1) * v.elementWiseStride();
        if (v.offset() < 0 || last >= buffer.capacity()) {
            throw new IllegalStateException("unexpected ND4J buffer layout: elements up to " + last
                    + " but the host buffer holds " + buffer.capacity() + "; pass a dup() of the array");
        }
        return buffer;
    }

    private static void load(FloatBuffer buffer, int at, int stride, float[] chunk, int len) {
        if (stride == 1) {
            buffer.get(at, chunk, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                chunk[i] = buffer.get(at + i * stride);
            }
        }
    }

    private static void store(FloatBuffer buffer, int at, int stride, float[] chunk, int len) {
        if (stride == 1) {
            buffer.put(at, chunk, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                buffer.put(at + i * stride, chunk[i]);
            }
        }
    }
}
