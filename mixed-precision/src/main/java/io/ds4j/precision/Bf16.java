package io.ds4j.precision;

/**
 * bfloat16 ("bf16") conversions written in plain Java. ND4J's own bf16 casts and reductions give wrong results on
 * the CPU backend, so ds4j never uses them: a bf16 value is carried as the 16 bits of a {@code short}, or as the
 * {@code float} with the same value (a bf16 is exactly the top 16 bits of a binary32).
 *
 * <p>float &rarr; bf16 rounds to nearest, ties to even (subnormals included, since bf16 shares binary32's exponent
 * range), overflows to &plusmn;Inf above the largest bf16 plus half an ulp, keeps the sign of zero and turns NaN
 * into a quiet NaN with the same sign and the top payload bits. bf16 &rarr; float is exact (a signalling NaN comes
 * back quiet).
 *
 * <p>The array forms (ranges of Java arrays, FLOAT {@code INDArray}s) are {@link Bulk16#BF16}'s.
 */
public final class Bf16 {

    /** The largest finite bf16, (2 - 2^-7) * 2^127. */
    public static final float MAX_VALUE = 0x1.fep127f;

    private Bf16() {
    }

    /** The bf16 nearest to {@code x} (ties to even), as its 16 bits. */
    public static short fromFloat(float x) {
        int f = Float.floatToRawIntBits(x);
        if ((f & 0x7fffffff) > 0x7f800000) {
            return (short) ((f >>> 16) | 0x0040); // NaN, made quiet
        }
        // drop 16 fraction bits rounding to nearest even; a carry bumps the exponent (up to Inf)
        return (short) ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16);
    }

    /** The float equal to the bf16 {@code b} (exact; a NaN comes back quiet). */
    public static float toFloat(short b) {
        int f = (b & 0xffff) << 16;
        if ((f & 0x7fffffff) > 0x7f800000) {
            f |= 0x400000;
        }
        return Float.intBitsToFloat(f);
    }

    /** The bf16 nearest to {@code x}, held in a float ({@code toFloat(fromFloat(x))}). */
    public static float round(float x) {
        int f = Float.floatToRawIntBits(x);
        if ((f & 0x7fffffff) > 0x7f800000) {
            return Float.intBitsToFloat((f | 0x400000) & 0xffff0000);
        }
        return Float.intBitsToFloat((f + 0x7fff + ((f >>> 16) & 1)) & 0xffff0000);
    }

    /** True when {@code b} is +-Inf or a NaN. */
    public static boolean isInfOrNaN(short b) {
        return (b & 0x7f80) == 0x7f80;
    }
}
