package io.ds4j.zero.comm.ucx;

import java.nio.FloatBuffer;

/**
 * The rank-order sum straight in native memory: {@code dst = c_0 + c_1}, then {@code dst += c_q} for q = 2..N-1, a
 * tile at a time so that the partial sum stays in cache between passes. Element by element this is the left fold
 * {@code ((c_0 + c_1) + c_2) + ...} that {@link io.ds4j.zero.comm.InProcessCollectives} computes, so both give the same
 * bits. Every element is read and written once per pass with no copy through the Java heap: the sum runs at memory
 * speed, which matters because it shares the core with UCX's copies between the processes.
 */
final class RankOrderSum {
    /** Floats per tile: a few pages, in L1/L2. */
    static final int TILE = 4096;

    private RankOrderSum() {
    }

    /**
     * {@code dst[0, count)} = the rank-order sum of {@code src[q][0, count)}. {@code dst} may be the same memory as
     * {@code src[0]} or {@code src[1]}, never as a later contribution (it would be overwritten before it is added).
     */
    static void sum(FloatBuffer[] src, FloatBuffer dst, int count) {
        if (src.length == 1) {
            if (src[0] != dst) {
                dst.put(0, src[0], 0, count);
            }
            return;
        }
        for (int at = 0; at < count; at += TILE) {
            int end = Math.min(count, at + TILE);
            add(src[0], src[1], dst, at, end);
            for (int q = 2; q < src.length; q++) {
                add(dst, src[q], dst, at, end);
            }
        }
    }

    /** {@code dst[i] = a[i] + b[i]} for {@code from <= i < to}. */
    private static void add(FloatBuffer a, FloatBuffer b, FloatBuffer dst, int from, int to) {
        for (int i = from; i < to; i++) {
            dst.put(i, a.get(i) + b.get(i));
        }
    }
}
