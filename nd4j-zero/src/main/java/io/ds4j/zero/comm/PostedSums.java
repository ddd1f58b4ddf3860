package io.ds4j.zero.comm;

/**
 * The work of one rank in an {@link InProcessCollectives} collective, on the vectors every rank posted (heap arrays or
 * ND4J arrays' native memory, mixed freely): sums in rank order 0..N-1, chunk by chunk of {@value #CHUNK} elements,
 * and copies. A heap vector is read in place; a native one through a chunk-sized tile of the calling thread, so no
 * collective copies a whole vector.
 */
final class PostedSums {
    /** Elements summed per chunk: small enough for L1/L2, large enough to amortize the loop set-up. */
    static final int CHUNK = 4096;
    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[CHUNK]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[CHUNK]);

    private PostedSums() {
    }

    /**
     * {@code acc[0, len) = ((in_0 + in_1) + in_2) + ...} of the posts' input elements {@code [from, from + len)}:
     * the fixed rank order, one rank at a time over a chunk so the loops vectorize. The chunk is staged in {@code acc}
     * before anything is written, so an output may alias an input.
     */
    private static void sum(InProcessGroup.Posted[] posts, long from, int len, float[] acc, float[] tile) {
        for (int q = 0; q < posts.length; q++) {
            InProcessGroup.Posted p = posts[q];
            float[] src;
            int o;
            if (p.in() != null) {
                src = p.in();
                o = Math.toIntExact(p.inOffset() + from);
            } else {
                src = q == 0 ? acc : tile;
                o = 0;
                p.read(from, src, len);
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
    }

    /** All-reduce share: elements {@code [from, to)} summed and written into every post's (input) vector. */
    static void allReduce(InProcessGroup.Posted[] posts, int from, int to) {
        float[] acc = ACC.get();
        float[] tile = TILE.get();
        for (int at = from; at < to; at += CHUNK) {
            int len = Math.min(CHUNK, to - at);
            sum(posts, at, len, acc, tile);
            for (InProcessGroup.Posted p : posts) {
                p.writeIn(at, acc, len);
            }
        }
    }

    /** Reduce-scatter share: block {@code rank} ({@code length} at {@code rank * stride}) summed into its output. */
    static void reduceScatter(InProcessGroup.Posted[] posts, int rank, int stride, int length) {
        long block = (long) rank * stride;
        float[] acc = ACC.get();
        float[] tile = TILE.get();
        for (int at = 0; at < length; at += CHUNK) {
            int len = Math.min(CHUNK, length - at);
            sum(posts, block + at, len, acc, tile);
            posts[rank].writeOut(at, acc, len);
        }
    }

    /** Root-only reduce: the sum into the root's (input) vector. */
    static void reduceTo(InProcessGroup.Posted[] posts, int root, int length) {
        float[] acc = ACC.get();
        float[] tile = TILE.get();
        for (int at = 0; at < length; at += CHUNK) {
            int len = Math.min(CHUNK, length - at);
            sum(posts, at, len, acc, tile);
            posts[root].writeIn(at, acc, len);
        }
    }

    /**
     * Copies {@code src}'s input elements {@code [0, length)} into {@code dst}'s vector from element {@code at} (its
     * output, or with {@code intoIn} its input); nothing when a heap vector is copied onto itself (in place).
     */
    static void copy(InProcessGroup.Posted src, InProcessGroup.Posted dst, long at, int length, boolean intoIn) {
        float[] to = intoIn ? dst.in() : dst.out();
        if (src.in() != null && to != null) {
            int o = Math.toIntExact((intoIn ? dst.inOffset() : dst.outOffset()) + at);
            if (src.in() != to || src.inOffset() != o) {
                System.arraycopy(src.in(), src.inOffset(), to, o, length);
            }
            return;
        }
        float[] tile = TILE.get();
        for (int k = 0; k < length; k += CHUNK) {
            int len = Math.min(CHUNK, length - k);
            src.read(k, tile, len);
            if (intoIn) {
                dst.writeIn(at + k, tile, len);
            } else {
                dst.writeOut(at + k, tile, len);
            }
        }
    }
}
