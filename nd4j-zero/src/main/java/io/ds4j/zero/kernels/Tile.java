package io.ds4j.zero.kernels;

/**
 * One thread's view of a tile: for each vector the array and offset where the tile's elements are. Heap fp32 vectors
 * are used in place; other storage is staged through this thread's scratch arrays. Mutable, confined to one thread.
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
    int go;
    /** Multiplier still to apply to {@code g} (1 when staging already applied it). */
    float gmul;
    float[] p;
    int po;
    final float[][] s = new float[2][];
    final int[] so = new int[2];
    int len;
    private final float[] gBuf = new float[SIZE];
    private final float[] pBuf = new float[SIZE];
    private final float[][] sBuf = {new float[SIZE], new float[SIZE]};

    static Tile local() {
        return LOCAL.get();
    }

    /** Points this tile at elements {@code [at, at + n)} of the buffers, staging what is not heap fp32. */
    void load(OptimizerBuffers b, long at, int n, float multiplier, Access access) {
        len = n;
        if (access.readsGradient()) {
            if (b.gradients() instanceof HeapFp32 h) {
                g = h.array();
                go = h.offset() + (int) at;
                gmul = multiplier;
            } else {
                b.gradients().read(at, gBuf, 0, n, multiplier);
                g = gBuf;
                go = 0;
                gmul = 1f;
            }
        }
        if (b.master() instanceof HeapFp32 h) {
            p = h.array();
            po = h.offset() + (int) at;
        } else {
            b.master().read(at, pBuf, 0, n, 1f);
            p = pBuf;
            po = 0;
        }
        for (int i = 0; i < b.state().size(); i++) {
            Fp32Storage st = b.state().get(i);
            if (st instanceof HeapFp32 h) {
                s[i] = h.array();
                so[i] = h.offset() + (int) at;
            } else {
                st.read(at, sBuf[i], 0, n, 1f);
                s[i] = sBuf[i];
                so[i] = 0;
            }
        }
    }

    /** Writes staged vectors back and the master into the compute copy. */
    void store(OptimizerBuffers b, long at, Access access) {
        if (access.writesMaster()) {
            if (p == pBuf) {
                b.master().write(at, pBuf, 0, len);
            }
            if (b.computeCopy() != null) {
                b.computeCopy().write(at, p, po, len);
            }
        }
        if (access.writesState()) {
            for (int i = 0; i < b.state().size(); i++) {
                if (s[i] == sBuf[i]) {
                    b.state().get(i).write(at, sBuf[i], 0, len);
                }
            }
        }
    }
}
