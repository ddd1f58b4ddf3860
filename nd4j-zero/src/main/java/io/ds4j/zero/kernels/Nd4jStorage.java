package io.ds4j.zero.kernels;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link VectorStorage} over the memory of an ND4J array, without copying: views are honoured through
 * {@link INDArray#offset()}. The array must be contiguous (element-wise stride 1), e.g. a flat parameter vector or a
 * range view of it. The storage holds the array, so its native memory stays allocated while the storage is reachable.
 * The host buffer is made current when the storage is made ({@link HostFloats}); on the CUDA backend, where ND4J may
 * move the array between device and host after that, use host-side buffers instead.
 */
public final class Nd4jStorage {
    private Nd4jStorage() {
    }

    /** An fp32 storage over a FLOAT array. */
    public static BufferFp32 fp32(INDArray array) {
        check(array, DataType.FLOAT, "fp32");
        FloatBuffer all = HostFloats.current(array);
        return new BufferFp32(all.position((int) array.offset()).slice().limit((int) array.length()), array);
    }

    /** A 16-bit storage over a HALF or BFLOAT16 array, converted by {@code codec}. */
    public static VectorStorage.Buffer16 bits16(INDArray array, ChunkCodec codec) {
        if (array.dataType() != DataType.HALF && array.dataType() != DataType.BFLOAT16) {
            throw new IllegalArgumentException("16-bit storage needs a HALF or BFLOAT16 array, got "
                    + array.dataType() + "; use Nd4jStorage.fp32 for FLOAT");
        }
        check(array, array.dataType(), codec.name());
        ShortBuffer all = HostFloats.currentShorts(array);
        return new VectorStorage.Buffer16(all.position((int) array.offset()).slice().limit((int) array.length()),
                codec, array);
    }

    private static void check(INDArray a, DataType type, String what) {
        if (a.dataType() != type) {
            throw new IllegalArgumentException(what + " storage needs a " + type + " array, got " + a.dataType());
        }
        if (a.length() > 0 && a.elementWiseStride() != 1) {
            throw new IllegalArgumentException(what + " storage needs a contiguous array (element-wise stride 1), got"
                    + " shape " + java.util.Arrays.toString(a.shape()) + " with strides "
                    + java.util.Arrays.toString(a.stride()) + "; pass the flat vector or a range of it (dup() copies)");
        }
        if (a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " storage: length " + a.length() + " exceeds 2^31-1; split the"
                    + " vector into shards");
        }
    }
}
