package io.ds4j.zero.offload;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

import io.ds4j.zero.kernels.BufferFp32;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.VectorStorage;

/** Sub-ranges of {@link VectorStorage}s, without copying; a slice keeps the owner of off-heap memory alive. */
final class Slices {
    private Slices() {
    }

    /** Elements {@code [from, from + length)} of {@code s}. */
    static VectorStorage of(VectorStorage s, long from, int length) {
        check(s, from, length);
        if (s instanceof Fp32Storage f) {
            return of(f, from, length);
        }
        if (s instanceof VectorStorage.Indirect i) {
            return new VectorStorage.Indirect(i.access(), i.offset() + from, length);
        }
        if (s instanceof VectorStorage.Heap16 h) {
            return new VectorStorage.Heap16(h.array(), h.offset() + (int) from, length, h.codec());
        }
        VectorStorage.Buffer16 b = (VectorStorage.Buffer16) s;
        ShortBuffer view = b.buffer().slice((int) from, length);
        return new VectorStorage.Buffer16(view, b.codec(), b.owner());
    }

    /** Elements {@code [from, from + length)} of an fp32 storage. */
    static Fp32Storage of(Fp32Storage s, long from, int length) {
        check(s, from, length);
        if (s instanceof HeapFp32 h) {
            return new HeapFp32(h.array(), h.offset() + (int) from, length);
        }
        BufferFp32 b = (BufferFp32) s;
        FloatBuffer view = b.buffer().slice((int) from, length);
        return new BufferFp32(view, b.owner());
    }

    /** Bytes per element of the storage's format: 4 for fp32, 2 for 16-bit. */
    static int elementBytes(VectorStorage s) {
        return s instanceof Fp32Storage || s instanceof VectorStorage.Indirect ? Float.BYTES : Short.BYTES;
    }

    private static void check(VectorStorage s, long from, int length) {
        if (from < 0 || length < 0 || from + length > s.length()) {
            throw new IllegalArgumentException("slice [" + from + ", " + (from + length) + ") is outside a storage of "
                    + s.length() + " elements");
        }
    }
}
