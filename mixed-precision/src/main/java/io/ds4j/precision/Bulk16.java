package io.ds4j.precision;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The array loops of the two 16-bit formats, written once: {@link Fp16} and {@link Bf16} pass their scalar
 * conversion and each loop applies it element by element with the same range checks.
 */
final class Bulk16 {

    /** float to the format's 16 bits. */
    interface Encode {
        short apply(float x);
    }

    /** The format's 16 bits to float (exact). */
    interface Decode {
        float apply(short h);
    }

    /** float to the nearest value of the format, held in a float. */
    interface Round {
        float apply(float x);
    }

    private Bulk16() {
    }

    static void encode(Encode e, float[] src, int srcOff, short[] dst, int dstOff, int n) {
        Ranges.check(src.length, srcOff, n, "src");
        Ranges.check(dst.length, dstOff, n, "dst");
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = e.apply(src[srcOff + i]);
        }
    }

    /** Decodes and multiplies each value by {@code multiplier}, the product rounded once, in float. */
    static void decode(Decode d, short[] src, int srcOff, float[] dst, int dstOff, int n, float multiplier) {
        Ranges.check(src.length, srcOff, n, "src");
        Ranges.check(dst.length, dstOff, n, "dst");
        if (multiplier == 1f) {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = d.apply(src[srcOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = d.apply(src[srcOff + i]) * multiplier;
            }
        }
    }

    static void roundInPlace(Round r, float[] a, int off, int n) {
        Ranges.check(a.length, off, n, "a");
        for (int i = off, end = off + n; i < end; i++) {
            a[i] = r.apply(a[i]);
        }
    }

    /** Encodes every element of a FLOAT array, in C order, into {@code dst[dstOff, ...)}. */
    static void encode(Encode e, INDArray src, short[] dst, int dstOff) {
        Ranges.check(dst.length, dstOff, FloatViews.length(src), "dst");
        FloatViews.read(src, true, (chunk, n, start) -> {
            encode(e, chunk, 0, dst, dstOff + (int) start, n);
            return false;
        });
    }
}
