package io.ds4j.zero.comm.ucx;

import java.nio.FloatBuffer;

/**
 * The rank-order sum in chunks: {@code acc = c_0}, then {@code acc += c_q} for q = 1..N-1, one contribution at a time
 * over a chunk so the loop vectorizes. Element by element this is the left fold {@code ((c_0 + c_1) + c_2) + ...} that
 * {@link io.ds4j.zero.comm.InProcessCollectives} computes, so both give the same bits.
 */
final class RankOrderSum {
    /** Floats per chunk: a few pages, in L1/L2. */
    static final int CHUNK = 4096;

    private RankOrderSum() {
    }

    /**
     * Adds {@code c} floats of {@code src} from {@code index} into {@code acc} ({@code first}: copies instead).
     *
     * @param tmp scratch of at least {@code c} floats
     */
    static void add(boolean first, FloatBuffer src, int index, float[] acc, float[] tmp, int c) {
        if (first) {
            src.get(index, acc, 0, c);
            return;
        }
        src.get(index, tmp, 0, c);
        for (int i = 0; i < c; i++) {
            acc[i] += tmp[i];
        }
    }
}
