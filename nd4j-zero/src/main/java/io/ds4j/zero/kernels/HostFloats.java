package io.ds4j.zero.kernels;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between the engine's {@code float[]} buffers and a vector held by ND4J (the flat parameter or gradient
 * view of a replica, or a range of it) through the array's host buffer, in one {@code FloatBuffer} transfer instead
 * of ND4J's element-by-element {@code toFloatVector()} / {@code createFromArray(...)} + {@code assign}. A FLOAT vector
 * whose elements are consecutive in its buffer (element-wise stride 1: whole vectors and contiguous ranges) is
 * accessed in place at its offset; any other vector (a HALF network's, a strided view) goes through ND4J's own cast
 * or assign, which are exact for fp16 values. On GPU backends the host copy is made current before a read and marked
 * as the newest after a write.
 *
 * <p>The one place the engine syncs ND4J's host buffer: code that reads or writes an array's memory through NIO
 * takes the buffer from {@link #current} and, after writing, calls {@link #written} (both no-ops on the CPU backend).
 */
public final class HostFloats {

    private HostFloats() {
    }

    /** Copies the {@code v.length()} elements of vector {@code v} into {@code dst[dstOff, ...)}. */
    public static void read(INDArray v, float[] dst, int dstOff) {
        int n = length(v);
        if (n == 0) {
            return;
        }
        INDArray src = direct(v) ? v : v.castTo(DataType.FLOAT).dup('c');
        Nd4j.getAffinityManager().ensureLocation(src, AffinityManager.Location.HOST);
        FloatBuffer b = src.data().asNioFloat();
        b.get((int) src.offset(), dst, dstOff, n);
    }

    /** @return the elements of vector {@code v} as a new array */
    public static float[] read(INDArray v) {
        float[] out = new float[length(v)];
        read(v, out, 0);
        return out;
    }

    /** Writes {@code src[srcOff, srcOff + v.length())} into vector {@code v}. */
    public static void write(float[] src, int srcOff, INDArray v) {
        int n = length(v);
        if (n == 0) {
            return;
        }
        if (!direct(v)) {
            float[] part = java.util.Arrays.copyOfRange(src, srcOff, srcOff + n);
            v.assign(Nd4j.createFromArray(part).reshape(v.shape()));
            return;
        }
        AffinityManager affinity = Nd4j.getAffinityManager();
        affinity.ensureLocation(v, AffinityManager.Location.HOST);
        v.data().asNioFloat().put((int) v.offset(), src, srcOff, n);
        affinity.tagLocation(v, AffinityManager.Location.HOST);
    }

    /**
     * The host buffer of a contiguous FLOAT vector, its element 0 at index 0 (a view of the array's memory, for bulk
     * reads without a heap copy); made current on the host first.
     */
    public static FloatBuffer buffer(INDArray v) {
        if (!direct(v)) {
            throw new IllegalArgumentException("expected a contiguous FLOAT vector, got " + v.dataType()
                    + " with element-wise stride " + v.elementWiseStride());
        }
        Nd4j.getAffinityManager().ensureLocation(v, AffinityManager.Location.HOST);
        FloatBuffer b = v.data().asNioFloat();
        b.position((int) v.offset());
        return b.slice();
    }

    /**
     * The array's whole host buffer (element {@code k} of the buffer at index {@code k}, the array's own elements from
     * its {@code offset()}), made current on the host first.
     */
    public static FloatBuffer current(INDArray a) {
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
        return a.data().asNioFloat();
    }

    /**
     * As {@link #current} for a 16-bit (HALF or BFLOAT16) array: its whole host buffer as shorts in native order,
     * made current on the host first.
     */
    public static ShortBuffer currentShorts(INDArray a) {
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
        return a.data().asNio().order(ByteOrder.nativeOrder()).asShortBuffer();
    }

    /** After writing through {@link #current} or {@link #currentShorts}: marks the host copy as the newest. */
    public static void written(INDArray a) {
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }

    /** A FLOAT vector whose elements sit consecutively in its buffer from its offset. */
    private static boolean direct(INDArray v) {
        return v.dataType() == DataType.FLOAT && v.elementWiseStride() == 1;
    }

    private static int length(INDArray v) {
        if (!v.isEmpty() && v.rank() > 1 && !v.isVector()) {
            throw new IllegalArgumentException("expected a vector, got shape " + java.util.Arrays.toString(v.shape()));
        }
        long n = v.isEmpty() ? 0 : v.length();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a vector of " + n + " elements does not fit a Java array; ZeRO "
                    + "shards of at most 2^31-1 elements are supported");
        }
        return (int) n;
    }
}
