package io.ds4j.precision;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Finds Inf or NaN ("overflow" in DeepSpeed's words) in gradients held as floats, fp16 bits or bf16 bits.
 *
 * <p>Each test looks only at exponent bits: a value is Inf or NaN exactly when its exponent field is all ones.
 * The loops OR together {@code exponentField + oneUlpOfExponent}, which sets the top bit of the field's container
 * only for an all-ones exponent; this keeps the inner loop branch-free (the JIT vectorises it) and the scan stops
 * at the first block that holds an overflow. Unlike DeepSpeed's "sum is not finite" test it cannot be fooled by
 * finite values whose sum overflows, nor miss an Inf that a NaN-free sum would hide.
 */
public final class Overflow {

    /** Elements scanned between early-exit checks. */
    private static final int BLOCK = 2048;

    private Overflow() {
    }

    /** True when {@code x} is +-Inf or NaN. */
    public static boolean isInfOrNaN(float x) {
        return (Float.floatToRawIntBits(x) & 0x7f800000) == 0x7f800000;
    }

    /** True when any of {@code a[off, off+n)} is +-Inf or NaN. */
    public static boolean hasInfOrNaN(float[] a, int off, int n) {
        Ranges.check(a.length, off, n, "a");
        int end = off + n;
        for (int start = off; start < end; start += BLOCK) {
            int stop = Math.min(end, start + BLOCK);
            int acc = 0;
            for (int i = start; i < stop; i++) {
                acc |= (Float.floatToRawIntBits(a[i]) & 0x7f800000) + 0x00800000;
            }
            if (acc < 0) {
                return true;
            }
        }
        return false;
    }

    /** True when any fp16 value in {@code h[off, off+n)} is +-Inf or NaN. */
    public static boolean hasInfOrNaNFp16(short[] h, int off, int n) {
        return hasAllOnesExponent(h, off, n, 0x7c00, 0x0400);
    }

    /** True when any bf16 value in {@code b[off, off+n)} is +-Inf or NaN. */
    public static boolean hasInfOrNaNBf16(short[] b, int off, int n) {
        return hasAllOnesExponent(b, off, n, 0x7f80, 0x0080);
    }

    /** True when any element of a FLOAT array (any view, offset or stride) is +-Inf or NaN. */
    public static boolean hasInfOrNaN(INDArray v) {
        return FloatViews.read(v, false, (chunk, n, start) -> hasInfOrNaN(chunk, 0, n));
    }

    private static boolean hasAllOnesExponent(short[] s, int off, int n, int mask, int oneUlp) {
        Ranges.check(s.length, off, n, "array");
        int end = off + n;
        for (int start = off; start < end; start += BLOCK) {
            int stop = Math.min(end, start + BLOCK);
            int acc = 0;
            for (int i = start; i < stop; i++) {
                acc |= (s[i] & mask) + oneUlp;
            }
            if ((acc & 0x8000) != 0) {
                return true;
            }
        }
        return false;
    }
}
