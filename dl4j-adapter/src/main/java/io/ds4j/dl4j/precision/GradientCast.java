package io.ds4j.dl4j.precision;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.precision.Bf16;
import io.ds4j.precision.Fp16;
import io.ds4j.precision.Precision;
import java.nio.FloatBuffer;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns DL4J's summed gradient into the 16-bit gradient DeepSpeed would store: element by element
 * <pre>
 *   stored = round16( g * factor / m )
 * </pre>
 * with {@code g} DL4J's flat gradient (the SUM over the micro-batch of {@code m} examples), {@code factor} the loss
 * scale still to apply (the loss scale when the gradient came from the plain loss function; 1 when it came through
 * {@link ScaledLoss}, which already applied it; 1 for bf16, which has no loss scaling) and {@code round16} rounding to
 * nearest, ties to even, to fp16 or bf16.
 *
 * <p>When {@code factor} is a power of two (every dynamic loss scale, and 1) the result is the 16-bit value nearest
 * the exact real {@code g * factor / m}, so a value underflows to zero or overflows to Inf exactly where
 * {@code scale x (mean-loss gradient)} does in that format. Why: {@code g * factor} is then exact in double, dividing
 * by {@code m} rounds once, and that double can only sit on a 16-bit tie if the exact quotient is the tie (a float
 * over an integer below 2^40 is at least 2^-52 relative away from any other tie); the double is rounded to a float
 * "to odd", which makes the final rounding to 16 bits equal a single rounding of the double. Any other factor (a
 * static {@code loss_scale} such as 1000) adds at most one double rounding (2^-53 relative) before that. An
 * overflow is any Inf or NaN after rounding; each call reports whether it saw one.
 *
 * <p>DL4J parameters whose "gradient" is an update rather than a gradient (BatchNorm's running mean and variance) are
 * not averaged by DL4J; the caller passes {@code m = 1} for their ranges.
 *
 * @param format fp16 or bf16
 */
public record GradientCast(Precision format) {
    /** Checks that the format is 16-bit. */
    public GradientCast {
        Objects.requireNonNull(format, "format");
        if (format == Precision.FP32) {
            throw new IllegalArgumentException("GradientCast needs a 16-bit format (fp16 or bf16), got fp32; fp32 "
                    + "gradients need no rounding");
        }
    }

    /** The fp16 cast. */
    public static GradientCast fp16() {
        return new GradientCast(Precision.FP16);
    }

    /** The bf16 cast. */
    public static GradientCast bf16() {
        return new GradientCast(Precision.BF16);
    }

    /**
     * Writes {@code round16(src[srcOff + i] * factor / m)} as 16-bit values to {@code dst[dstOff + i]}, {@code i < n}.
     *
     * @return true when any stored value is Inf or NaN (the step overflowed)
     */
    public boolean cast(float[] src, int srcOff, int n, int microBatch, double factor, short[] dst, int dstOff) {
        checkRange(src.length, srcOff, n, "src");
        checkRange(dst.length, dstOff, n, "dst");
        float fm = exactFloatMultiplier(microBatch, factor);
        int bad = 0;
        if (format == Precision.FP16) {
            for (int i = 0; i < n; i++) {
                short h = Fp16.fromFloat(prepared(src[srcOff + i], fm, factor, microBatch));
                bad |= (h & 0x7c00) + 0x0400;   // bit 15 set only by an all-ones exponent (Inf/NaN)
                dst[dstOff + i] = h;
            }
        } else {
            for (int i = 0; i < n; i++) {
                short h = Bf16.fromFloat(prepared(src[srcOff + i], fm, factor, microBatch));
                bad |= (h & 0x7f80) + 0x0080;
                dst[dstOff + i] = h;
            }
        }
        return (bad & 0x8000) != 0;
    }

    /**
     * Replaces {@code a[off + i]} by the float equal to {@code round16(a[off + i] * factor / m)}, {@code i < n}:
     * the stored gradient kept in an fp32 array (the CPU emulation of 16-bit storage).
     *
     * @return true when any result is Inf or NaN
     */
    public boolean roundInPlace(float[] a, int off, int n, int microBatch, double factor) {
        checkRange(a.length, off, n, "a");
        float fm = exactFloatMultiplier(microBatch, factor);
        boolean fp16 = format == Precision.FP16;
        int bad = 0;
        for (int i = off, end = off + n; i < end; i++) {
            float f = prepared(a[i], fm, factor, microBatch);
            float r = fp16 ? Fp16.round(f) : Bf16.round(f);
            bad |= (Float.floatToRawIntBits(r) & 0x7f800000) + 0x00800000;   // negative only for Inf/NaN
            a[i] = r;
        }
        return bad < 0;
    }

    /**
     * {@code g * factor / m} as a float whose rounding to 16 bits equals the exact value's. Fast path when
     * {@code fm = factor / m} is an exact float power of two ({@code fm != 0}): the float product is exact when it is
     * a normal float, and overflows to Inf only where both 16-bit formats overflow too; smaller products (and NaN)
     * take the double path.
     */
    private static float prepared(float g, float fm, double factor, int m) {
        if (fm != 0) {
            float p = g * fm;
            if (Math.abs(p) >= Float.MIN_NORMAL) {
                return p;
            }
        }
        return roundToOdd(g * factor / m);
    }

    /** {@code factor / m} when both are powers of two and it is exact as a float, else 0 (use the double path). */
    private static float exactFloatMultiplier(int microBatch, double factor) {
        check(microBatch, factor);
        boolean pow2 = Integer.bitCount(microBatch) == 1 && factor == Math.scalb(1.0, Math.getExponent(factor));
        double mult = factor / microBatch;
        return pow2 && (double) (float) mult == mult ? (float) mult : 0f;
    }

    /**
     * {@link #roundInPlace(float[], int, int, int, double)} over a contiguous FLOAT array such as DL4J's flat
     * gradient view (any offset into its buffer), without ND4J ops.
     *
     * @return true when any result is Inf or NaN
     * @throws IllegalArgumentException when the array is not FLOAT or not contiguous
     */
    public boolean roundInPlace(INDArray gradient, int microBatch, double factor) {
        if (gradient.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("the gradient must be a FLOAT array, got " + gradient.dataType()
                    + "; on the CPU backend ds4j computes in FLOAT and keeps 16-bit values in FLOAT arrays");
        }
        long len = gradient.isEmpty() ? 0 : gradient.length();
        if (len == 0) {
            return false;
        }
        if (gradient.elementWiseStride() != 1 || len > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the gradient must be a contiguous view of at most 2^31-1 elements "
                    + "(element-wise stride 1), got stride " + gradient.elementWiseStride() + " and " + len
                    + " elements; pass DL4J's flat gradient or a range of it");
        }
        FloatBuffer buffer = HostFloats.current(gradient);
        int base = (int) gradient.offset();
        float[] chunk = new float[(int) Math.min(len, 4096)];
        boolean overflow = false;
        for (int start = 0; start < len; start += chunk.length) {
            int n = (int) Math.min(chunk.length, len - start);
            buffer.get(base + start, chunk, 0, n);
            overflow |= roundInPlace(chunk, 0, n, microBatch, factor);
            buffer.put(base + start, chunk, 0, n);
        }
        HostFloats.written(gradient);
        return overflow;
    }

    /**
     * The float nearest {@code v} toward zero, with its last bit set when that is inexact (rounding to odd). A float
     * carries at least 13 more fraction bits than fp16 and 16 more than bf16, so rounding this float to the 16-bit
     * format gives the same result as rounding {@code v} directly.
     */
    static float roundToOdd(double v) {
        float f = (float) v;
        double back = f;
        int bits = Float.floatToRawIntBits(f);
        bits -= Math.abs(back) > Math.abs(v) ? 1 : 0;   // rounded away from zero (maybe to Inf): one step back
        bits |= back != v ? 1 : 0;                      // inexact (or NaN, which stays NaN): make it odd
        return Float.intBitsToFloat(bits);
    }

    private static void check(int microBatch, double factor) {
        if (microBatch < 1) {
            throw new IllegalArgumentException("train_micro_batch_size_per_gpu (the micro-batch size m the summed "
                    + "gradient is divided by) must be >= 1, got " + microBatch);
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("the loss scale factor must be finite and > 0, got " + factor
                    + "; pass 1 when the gradient already carries the scale or for bf16");
        }
    }

    private static void checkRange(int length, int off, int n, String what) {
        if (off < 0 || n < 0 || (long) off + n > length) {
            throw new IllegalArgumentException(what + " range [" + off + ", " + ((long) off + n)
                    + ") is outside the array of length " + length);
        }
    }
}
