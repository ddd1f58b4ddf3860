package io.ds4j.zero.comm.ucx;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Which ND4J arrays UCX can send from and receive into where they lie: contiguous FLOAT arrays (C order). */
final class NativeArrays {
    private NativeArrays() {
    }

    /**
     * The native address of {@code a}'s first element, or -1 when {@code a} is not a contiguous FLOAT array in C order
     * (then the collectives copy it through the heap, as {@link io.ds4j.zero.comm.Collectives} does). Views qualify
     * when their elements are contiguous (a row of a matrix, an interval of a vector).
     */
    static long address(INDArray a) {
        if (a == null || a.dataType() != DataType.FLOAT || a.isEmpty() || a.length() > Integer.MAX_VALUE - 8) {
            return -1;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) { // C order: the last dimension moves fastest
            if (shape[d] != 1 && stride[d] != expected) {
                return -1;
            }
            expected *= shape[d];
        }
        return a.data().address() + 4L * a.offset();
    }
}
