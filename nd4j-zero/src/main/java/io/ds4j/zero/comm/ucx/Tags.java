package io.ds4j.zero.comm.ucx;

/**
 * The 64-bit UCX tags of ds4j's messages. A data tag packs, from the top: channel (4 bits), source rank (16), shape
 * check (10), phase within the collective (2), collective sequence number (32). A receive matches channel, source,
 * phase and sequence but not the shape check, which it compares itself, so a peer in a different collective is
 * reported as such instead of never matching.
 */
final class Tags {
    static final int MAX_RANKS = 1 << 16;
    private static final long DATA = 1L << 60;
    private static final long ABORT = 2L << 60;
    private static final int SHAPE_SHIFT = 34;
    private static final long SHAPE_BITS = 0x3FFL << SHAPE_SHIFT;

    /** Receives of data ignore the shape-check bits. */
    static final long DATA_MASK = ~SHAPE_BITS;
    /** An abort is received from any source. */
    static final long ABORT_MASK = 0xFL << 60;
    /** The tag every abort message carries, whatever its source. */
    static final long ABORT_TAG = ABORT;

    private Tags() {
    }

    static long data(int source, int shapeCheck, int phase, long seq) {
        return DATA | ((long) source << 44) | ((long) (shapeCheck & 0x3FF) << SHAPE_SHIFT) | ((long) (phase & 3) << 32)
                | (seq & 0xFFFF_FFFFL);
    }

    static int shapeCheck(long tag) {
        return (int) ((tag & SHAPE_BITS) >>> SHAPE_SHIFT);
    }

    /** A 10-bit check of what every rank must agree on: kind, length, stride, root. */
    static int shapeCheck(int kind, long length, long stride, int root) {
        long h = kind;
        h = h * 1_000_003L + length;
        h = h * 1_000_003L + stride;
        h = h * 1_000_003L + root;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) (h & 0x3FF);
    }
}
