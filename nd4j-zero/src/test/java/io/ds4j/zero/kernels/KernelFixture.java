package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Runs a kernel for {@link #STEPS} steps on {@link #N} elements in one of several storage layouts, and a
 * double-precision reference of the same formula written in the test. Gradients are generated on the
 * {@link FixedPointCodec} grid (k / 1024, |g| <= 16) so every layout, 16-bit included, sees the same values.
 */
final class KernelFixture {
    /** Odd and above 3 parts of {@link KernelPool#MIN_PART}, so tiles, parts and ragged ends are exercised. */
    static final int N = 100_003;
    static final int STEPS = 20;

    /**
     * Where the vectors live. HEAP: heap arrays at one common index (used in place, tile by tile, fp32 compute copy);
     * HEAP_WHOLE: the same without a compute copy (one tile per thread part); HEAP_STAGED: heap arrays at different
     * indices (staged through scratch); DIRECT: direct buffers; CODEC16: 16-bit gradients and compute copy; ND4J:
     * views of ND4J arrays.
     */
    enum Layout { HEAP, HEAP_WHOLE, HEAP_STAGED, DIRECT, CODEC16, ND4J }

    /** A double-precision reference step over whole vectors; {@code g} is already multiplied. */
    @FunctionalInterface
    interface Reference {
        void step(double[] p, double[][] s, double[] g, long t, double lr);
    }

    /** Final master, state and compute copy (as fp32 values) of a run. */
    record Result(float[] master, float[][] state, float[] computeCopy) {
    }

    static short[][] gradientBits(long seed) {
        Random r = new Random(seed);
        short[][] g = new short[STEPS][N];
        for (short[] step : g) {
            for (int i = 0; i < N; i++) {
                step[i] = (short) (r.nextInt(32769) - 16384);
            }
        }
        return g;
    }

    static float[] initialParams(long seed) {
        Random r = new Random(seed + 1);
        float[] p = new float[N];
        for (int i = 0; i < N; i++) {
            p[i] = r.nextFloat() * 2 - 1;
        }
        return p;
    }

    static Result run(FusedOptimizer opt, Layout layout, float lr, float multiplier, int threads) {
        short[][] bits = gradientBits(7);
        float[] p0 = initialParams(7);
        int words = opt.stateWords();
        try (KernelPool pool = new KernelPool(threads)) {
            Store st = Store.create(layout, p0, words);
            for (int t = 1; t <= STEPS; t++) {
                st.setGradient(bits[t - 1]);
                opt.step(st.buffers, new StepArgs(t, lr, multiplier), pool);
            }
            return st.result(words);
        }
    }

    static double[][] reference(Reference ref, int words, double lr, double multiplier) {
        short[][] bits = gradientBits(7);
        float[] p0 = initialParams(7);
        double[] p = new double[N];
        for (int i = 0; i < N; i++) {
            p[i] = p0[i];
        }
        double[][] s = new double[words][N];
        double[] g = new double[N];
        for (int t = 1; t <= STEPS; t++) {
            for (int i = 0; i < N; i++) {
                g[i] = bits[t - 1][i] / 1024.0 * multiplier;
            }
            ref.step(p, s, g, t, lr);
        }
        double[][] out = new double[words + 1][];
        out[0] = p;
        System.arraycopy(s, 0, out, 1, words);
        return out;
    }

    /** |kernel - reference| <= tol * max(1, |reference|) for master and state. */
    static void assertClose(Result r, double[][] ref, double tol) {
        check("master", r.master(), ref[0], tol);
        for (int w = 0; w < r.state().length; w++) {
            check("state[" + w + "]", r.state()[w], ref[w + 1], tol);
        }
    }

    private static void check(String what, float[] got, double[] want, double tol) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        double w = worst;
        int a = at;
        assertTrue(worst <= tol, () -> what + ": worst error " + w + " at " + a + " (kernel " + got[a]
                + ", reference " + want[a] + ") exceeds " + tol);
    }

    static void assertIdentical(Result a, Result b) {
        assertArrayEquals(a.master(), b.master());
        for (int w = 0; w < a.state().length; w++) {
            assertArrayEquals(a.state()[w], b.state()[w]);
        }
    }

    /** The buffers of one layout, with hooks to feed gradients and read results. */
    private static final class Store {
        OptimizerBuffers buffers;
        short[] gradBits;
        float[] gradHeap;
        FloatBuffer gradBuffer;
        INDArray gradNd;
        Fp32Storage master;
        List<Fp32Storage> state = new ArrayList<>();
        VectorStorage copy;
        Layout layout;

        static Store create(Layout layout, float[] p0, int words) {
            Store s = new Store();
            s.layout = layout;
            VectorStorage grads = switch (layout) {
                case HEAP, HEAP_WHOLE -> {
                    s.gradHeap = new float[N + 9];
                    yield VectorStorage.of(s.gradHeap, 9, N);
                }
                case HEAP_STAGED -> {
                    s.gradHeap = new float[N + 5];
                    yield VectorStorage.of(s.gradHeap, 5, N);
                }
                case DIRECT -> {
                    s.gradBuffer = direct(N + 3).position(3).slice();
                    yield VectorStorage.of(s.gradBuffer);
                }
                case CODEC16 -> {
                    s.gradBits = new short[N + 2];
                    yield VectorStorage.of(s.gradBits, 2, N, FixedPointCodec.INSTANCE);
                }
                case ND4J -> {
                    s.gradNd = Nd4j.create(DataType.FLOAT, N + 11).get(NDArrayIndex.interval(11, N + 11));
                    yield Nd4jStorage.fp32(s.gradNd);
                }
            };
            s.master = fp32(layout, N);
            s.master.write(0, p0, 0, N);
            for (int w = 0; w < words; w++) {
                s.state.add(fp32(layout, N));
            }
            s.copy = switch (layout) {
                case HEAP -> VectorStorage.of(new float[N]);
                case HEAP_WHOLE, HEAP_STAGED, DIRECT -> null;
                case CODEC16 -> VectorStorage.of(new short[N], 0, N, FixedPointCodec.INSTANCE);
                case ND4J -> Nd4jStorage.fp32(Nd4j.create(DataType.FLOAT, N + 1).get(NDArrayIndex.interval(1, N + 1)));
            };
            s.buffers = new OptimizerBuffers(grads, s.master, s.state, s.copy);
            return s;
        }

        private static Fp32Storage fp32(Layout layout, int n) {
            return switch (layout) {
                case HEAP, HEAP_WHOLE, HEAP_STAGED, CODEC16 -> VectorStorage.of(new float[n + 9], 9, n);
                case DIRECT -> VectorStorage.of(direct(n + 4).position(4).slice());
                case ND4J -> Nd4jStorage.fp32(Nd4j.create(DataType.FLOAT, n + 13).get(NDArrayIndex.interval(13,
                        n + 13)));
            };
        }

        private static FloatBuffer direct(int n) {
            return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        void setGradient(short[] bits) {
            float[] f = new float[N];
            for (int i = 0; i < N; i++) {
                f[i] = bits[i] / 1024f;
            }
            switch (layout) {
                case HEAP, HEAP_WHOLE -> System.arraycopy(f, 0, gradHeap, 9, N);
                case HEAP_STAGED -> System.arraycopy(f, 0, gradHeap, 5, N);
                case DIRECT -> gradBuffer.put(0, f, 0, N);
                case CODEC16 -> System.arraycopy(bits, 0, gradBits, 2, N);
                case ND4J -> gradNd.assign(Nd4j.createFromArray(f));
            }
        }

        Result result(int words) {
            float[] m = new float[N];
            master.read(0, m, 0, N, 1f);
            float[][] s = new float[words][N];
            for (int w = 0; w < words; w++) {
                state.get(w).read(0, s[w], 0, N, 1f);
            }
            float[] c = null;
            if (copy != null) {
                c = new float[N];
                copy.read(0, c, 0, N, 1f);
            }
            return new Result(m, s, c);
        }
    }
}
