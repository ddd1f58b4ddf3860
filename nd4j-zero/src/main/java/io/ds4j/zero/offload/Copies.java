package io.ds4j.zero.offload;

import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.VectorStorage;

/** Chunked copies between storages. */
final class Copies {
    static final int CHUNK = 4096;

    private Copies() {
    }

    /** {@code dst[to + i] = src[from + i]} (as fp32) for {@code i < length}. */
    static void copy(VectorStorage src, long from, VectorStorage dst, long to, long length) {
        float[] tile = new float[(int) Math.min(CHUNK, Math.max(1, length))];
        for (long done = 0; done < length; done += tile.length) {
            int n = (int) Math.min(tile.length, length - done);
            src.read(from + done, tile, 0, n, 1f);
            dst.write(to + done, tile, 0, n);
        }
    }

    /** Sets every element of {@code dst} to zero. */
    static void zero(Fp32Storage dst) {
        float[] zeros = new float[(int) Math.min(CHUNK, Math.max(1, dst.length()))];
        for (long done = 0; done < dst.length(); done += zeros.length) {
            dst.write(done, zeros, 0, (int) Math.min(zeros.length, dst.length() - done));
        }
    }

    /** Checks that {@code dst} has room for {@code length} elements at {@code offset}. */
    static void checkTarget(float[] dst, int offset, long length) {
        if (offset < 0 || offset + length > dst.length) {
            throw new IllegalArgumentException("target [" + offset + ", " + (offset + length) + ") is outside an array"
                    + " of " + dst.length);
        }
    }

    /** Checks that {@code s} has {@code length} elements. */
    static void checkLength(String what, VectorStorage s, long length) {
        if (s != null && s.length() != length) {
            throw new IllegalArgumentException(what + " has " + s.length() + " elements but the shard has " + length);
        }
    }
}
