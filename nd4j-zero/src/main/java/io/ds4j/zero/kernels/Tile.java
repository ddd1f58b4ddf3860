package io.ds4j.zero.kernels;

/**
 * One thread's view of a tile: for each vector the array holding the tile's elements, all at the same index
 * {@link #off}. When every vector is a heap fp32 array and the tile sits at the same array index in all of them
 * (the usual case: separate arrays of one shard), the arrays are used in place; otherwise every vector is staged
 * through this thread's scratch arrays at index 0. A single shared index is what lets the JIT vectorize the kernel
 * loops (it cannot prove that differently offset accesses to float arrays do not overlap). Mutable, confined to one
 * thread.
 */
final class Tile {
    /** Elements per tile: 4 fp32 vectors of 16 KiB each stay in L2 while staged. */
    static final int SIZE = 4096;
    private static final ThreadLocal<Tile> LOCAL = ThreadLocal.withInitial(Tile::new);

    /** Which vectors a pass reads and writes. */
    record Access(boolean readsGradient, boolean writesMaster, boolean writesState) {
        static final Access FULL = new Access(true, true, true);
    }

    float[] g;
    /** Multiplier still to apply to {@code g} (1 when staging already applied it). */
    float gmul;
    float[] p;
    final float[][] s = new float[2][];
    /** The index of the tile's first element in every array. */
    int off;
    int len;
    private boolean staged;
    private final float[] gBuf = new float[SIZE];
    private final float[] pBuf = new float[SIZE];
    private final float[][] sBuf = {new float[SIZE], new float[SIZE]};

    static Tile local() {
        return LOCAL.get();
    }

    /**
     * Whether every vector the pass touches is a heap fp32 array with the same index for the same element, so tiles
     * can be used in place (then they may be longer than {@link #SIZE}).
     */
    static boolean inPlace(OptimizerBuffers b, Access access) {
        int common = heapIndex(b.master(), 0);
        boolean inPlace = common >= 0 && (!access.readsGradient() || heapIndex(b.gradients(), 0) == common);
        for (Fp32Storage st : b.state()) {
            inPlace &= heapIndex(st, 0) == common;
        }
        return inPlace;
    }

    /**
     * Points this tile at elements {@code [at, at + n)} of the buffers, staging when they are not aligned
     * ({@code n <= SIZE} unless {@link #inPlace}).
     */
    void load(OptimizerBuffers b, long at, int n, float multiplier, Access access) {
        len = n;
        int common = heapIndex(b.master(), at);
        boolean inPlace = inPlace(b, access);
        staged = !inPlace;
        if (inPlace) {
            off = common;
            g = access.readsGradient() ? ((HeapFp32) b.gradients()).array() : null;
            gmul = multiplier;
            p = ((HeapFp32) b.master()).array();
            for (int i = 0; i < b.state().size(); i++) {
                s[i] = ((HeapFp32) b.state().get(i)).array();
            }
            return;
        }
        off = 0;
        if (access.readsGradient()) {
            b.gradients().read(at, gBuf, 0, n, multiplier);
            g = gBuf;
            gmul = 1f;
        }
        b.master().read(at, pBuf, 0, n, 1f);
        p = pBuf;
        for (int i = 0; i < b.state().size(); i++) {
            b.state().get(i).read(at, sBuf[i], 0, n, 1f);
            s[i] = sBuf[i];
        }
    }

    private static int heapIndex(VectorStorage v, long at) {
        return v instanceof HeapFp32 h ? h.offset() + (int) at : -1;
    }

    /** Writes staged vectors back and the master into the compute copy. */
    void store(OptimizerBuffers b, long at, Access access) {
        if (access.writesMaster()) {
            if (staged) {
                b.master().write(at, pBuf, 0, len);
            }
            if (b.computeCopy() != null) {
                b.computeCopy().write(at, p, off, len);
            }
        }
        if (access.writesState() && staged) {
            for (int i = 0; i < b.state().size(); i++) {
                b.state().get(i).write(at, sBuf[i], 0, len);
            }
        }
    }
}
