package io.ds4j.zero.bench;

import java.util.List;

import io.ds4j.zero.kernels.KernelPool;

/**
 * Java STREAM-like loops over heap float arrays, multi-threaded over contiguous parts like the kernels: copy
 * ({@code a = b}, 8 B/elem), triad ({@code a = b + s c}, 12 B/elem) and read-modify-write ({@code x = s x + g;
 * y = s y + g; z = s z + g}, 4 reads and 3 writes, 28 B/elem: the traffic of a fused Adam step). The read-modify-write
 * figure is the limit a fused optimizer step can reach.
 */
public final class MemoryBandwidth {
    private final float[] a;
    private final float[] b;
    private final float[] c;
    private final float[] d;

    /** Allocates four arrays of {@code elements} floats. */
    public MemoryBandwidth(int elements) {
        this(new float[elements], new float[elements], new float[elements], new float[elements]);
    }

    /** Uses (and overwrites) four caller-owned arrays of equal length, e.g. to reuse a benchmark's buffers. */
    public MemoryBandwidth(float[] a, float[] b, float[] c, float[] d) {
        if (b.length != a.length || c.length != a.length || d.length != a.length) {
            throw new IllegalArgumentException("bandwidth arrays must have equal lengths, got " + a.length + ", "
                    + b.length + ", " + c.length + ", " + d.length);
        }
        this.a = a;
        this.b = b;
        this.c = c;
        this.d = d;
        java.util.Arrays.fill(a, 0f);
        java.util.Arrays.fill(b, 1f);
        java.util.Arrays.fill(c, 0.5f);
        java.util.Arrays.fill(d, 0.25f);
    }

    /** Copy, triad and read-modify-write, each the best of {@code repeats} after {@code warmup} runs. */
    public List<Throughput> measure(KernelPool pool, int warmup, int repeats) {
        long n = a.length;
        return List.of(
                Throughput.best("copy      a = b", 8, n, warmup, repeats, () -> pool.run(0, n, 0, this::copy)),
                Throughput.best("triad     a = b + s*c", 12, n, warmup, repeats,
                        () -> pool.run(0, n, 0, this::triad)),
                Throughput.best("rmw       x,y,z = s*(x,y,z) + g", 28, n, warmup, repeats,
                        () -> pool.run(0, n, 0, this::rmw)));
    }

    private void copy(long from, long to, double[] acc) {
        System.arraycopy(b, (int) from, a, (int) from, (int) (to - from));
    }

    private void triad(long from, long to, double[] acc) {
        final float s = 0.999f;
        for (int i = (int) from; i < (int) to; i++) {
            a[i] = b[i] + s * c[i];
        }
    }

    private void rmw(long from, long to, double[] acc) {
        final float s = 0.999f;
        final float[] x = a;
        final float[] y = b;
        final float[] z = c;
        final float[] g = d;
        for (int i = (int) from; i < (int) to; i++) {
            float gi = g[i];
            x[i] = s * x[i] + gi;
            y[i] = s * y[i] + gi;
            z[i] = s * z[i] + gi;
        }
    }
}
