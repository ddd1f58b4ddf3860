package io.ds4j.zero.kernels;

import java.util.Objects;

/**
 * fp32 elements {@code array[offset, offset + size)}; kernels use it in place, without staging.
 *
 * @param array  the heap array
 * @param offset index of element 0
 * @param size   number of elements
 */
public record HeapFp32(float[] array, int offset, int size) implements Fp32Storage {
    /** Checks the range against the array. */
    public HeapFp32 {
        Objects.requireNonNull(array, "array");
        checkRange(array.length, offset, size);
    }

    static void checkRange(int arrayLength, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > arrayLength) {
            throw new IllegalArgumentException("storage range [" + offset + ", " + ((long) offset + length)
                    + ") is outside the array of length " + arrayLength);
        }
    }

    @Override
    public long length() {
        return size;
    }

    @Override
    public void read(long from, float[] dst, int dstOffset, int len, float scale) {
        int base = offset + (int) from;
        if (scale == 1f) {
            System.arraycopy(array, base, dst, dstOffset, len);
            return;
        }
        for (int i = 0; i < len; i++) {
            dst[dstOffset + i] = array[base + i] * scale;
        }
    }

    @Override
    public void write(long to, float[] src, int srcOffset, int len) {
        System.arraycopy(src, srcOffset, array, offset + (int) to, len);
    }
}
