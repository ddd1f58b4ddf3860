package io.ds4j.precision;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The array conversions of the two 16-bit formats, written once: {@link #FP16} and {@link #BF16} apply their
 * format's scalar conversion ({@link Fp16}, {@link Bf16}) element by element with the same range checks, on ranges of
 * Java arrays and on FLOAT {@link INDArray}s (views with offsets and strides included). They are single-threaded
 * loops without allocation; they run on every parameter and gradient each step.
 */
public final class Bulk16 {
    /** IEEE binary16's array conversions. */
    public static final Bulk16 FP16 = new Bulk16(Precision.FP16, Fp16::fromFloat, Fp16::toFloat, Fp16::round);
    /** bfloat16's array conversions. */
    public static final Bulk16 BF16 = new Bulk16(Precision.BF16, Bf16::fromFloat, Bf16::toFloat, Bf16::round);

    /** float to the format's 16 bits. */
    private interface Encode {
        short apply(float x);
    }

    /** The format's 16 bits to float (exact). */
    private interface Decode {
        float apply(short h);
    }

    /** float to the nearest value of the format, held in a float. */
    private interface Round {
        float apply(float x);
    }

    private final Precision format;
    private final Encode encode;
    private final Decode decode;
    private final Round round;

    private Bulk16(Precision format, Encode encode, Decode decode, Round round) {
        this.format = format;
        this.encode = encode;
        this.decode = decode;
        this.round = round;
    }

    /**
     * The conversions of a 16-bit format.
     *
     * @throws IllegalArgumentException for fp32, which has no 16-bit bits
     */
    public static Bulk16 of(Precision format) {
        return switch (format) {
            case FP16 -> FP16;
            case BF16 -> BF16;
            case FP32 -> throw new IllegalArgumentException("fp32 has no 16-bit conversions; pass fp16 or bf16");
        };
    }

    /** The format these conversions are for. */
    public Precision format() {
        return format;
    }

    /** Converts {@code src[srcOff, srcOff+n)} to the format's bits in {@code dst[dstOff, dstOff+n)}. */
    public void encode(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        Ranges.check(src.length, srcOff, n, "src");
        Ranges.check(dst.length, dstOff, n, "dst");
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = encode.apply(src[srcOff + i]);
        }
    }

    /** Converts the bits {@code src[srcOff, srcOff+n)} to floats (exactly) in {@code dst[dstOff, dstOff+n)}. */
    public void decode(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        decode(src, srcOff, dst, dstOff, n, 1f);
    }

    /**
     * Converts the bits to floats and multiplies each by {@code multiplier} on the fly: pass {@code 1/scale} to
     * unscale loss-scaled gradients. The product is rounded once, in float.
     */
    public void decode(short[] src, int srcOff, float[] dst, int dstOff, int n, float multiplier) {
        Ranges.check(src.length, srcOff, n, "src");
        Ranges.check(dst.length, dstOff, n, "dst");
        if (multiplier == 1f) {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = decode.apply(src[srcOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = decode.apply(src[srcOff + i]) * multiplier;
            }
        }
    }

    /** Rounds {@code a[off, off+n)} in place to the nearest values of the format (see {@link Fp16#round(float)}). */
    public void roundInPlace(float[] a, int off, int n) {
        Ranges.check(a.length, off, n, "a");
        for (int i = off, end = off + n; i < end; i++) {
            a[i] = round.apply(a[i]);
        }
    }

    /** Rounds every element of a FLOAT array (any view, offset or stride) in place to the nearest value. */
    public void roundInPlace(INDArray v) {
        FloatViews.update(v, this::roundInPlace);
    }

    /** Converts every element of a FLOAT array, in C order, to the format's bits in {@code dst[dstOff, ...)}. */
    public void encode(INDArray src, short[] dst, int dstOff) {
        Ranges.check(dst.length, dstOff, FloatViews.length(src), "dst");
        FloatViews.read(src, true, (chunk, n, start) -> {
            encode(chunk, 0, dst, dstOff + (int) start, n);
            return false;
        });
    }

    @Override
    public String toString() {
        return "Bulk16[" + format.key() + "]";
    }
}
