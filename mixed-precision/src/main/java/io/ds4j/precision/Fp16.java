package io.ds4j.precision;

/**
 * IEEE 754 binary16 ("fp16", "half") conversions written in plain Java, for Java 17 which has no
 * {@code Float.floatToFloat16}. A half is carried as the 16 bits of a {@code short}.
 *
 * <p>float &rarr; fp16 rounds to nearest, ties to even, produces subnormals, turns every magnitude &ge; 65520 (the
 * midpoint between 65504, the largest half, and 2^16) into &plusmn;Inf, keeps the sign of zero and turns NaN into a
 * quiet NaN with the same sign and the top payload bits. fp16 &rarr; float is exact (a signalling NaN comes back
 * quiet).
 *
 * <p>The array forms (ranges of Java arrays, FLOAT {@code INDArray}s) are {@link Bulk16#FP16}'s.
 */
public final class Fp16 {

    /** The largest finite half, 65504. */
    public static final float MAX_VALUE = 65504f;
    /** The smallest positive normal half, 2^-14. */
    public static final float MIN_NORMAL = 0x1p-14f;
    /** The smallest positive (subnormal) half, 2^-24. */
    public static final float MIN_VALUE = 0x1p-24f;

    /** Float bits of 65520: this magnitude and every larger one round to Inf. */
    private static final int OVERFLOW_BITS = 0x477ff000;
    /** Float bits of 2^-14, the smallest normal half. */
    private static final int MIN_NORMAL_BITS = 0x38800000;
    /** Float bits of 2^-25: this magnitude and every smaller one round to zero (2^-25 is a tie, zero is even). */
    private static final int ZERO_BITS = 0x33000000;

    private Fp16() {
    }

    /** The half nearest to {@code x} (ties to even), as its 16 bits. */
    public static short fromFloat(float x) {
        int f = Float.floatToRawIntBits(x);
        int sign = (f >>> 16) & 0x8000;
        int abs = f & 0x7fffffff;
        if (abs >= MIN_NORMAL_BITS) {
            if (abs < OVERFLOW_BITS) {
                // re-bias the exponent (127 -> 15), then drop 13 fraction bits rounding to nearest even;
                // a carry out of the fraction correctly bumps the exponent
                int m = abs - 0x38000000;
                return (short) (sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13));
            }
            if (abs > 0x7f800000) {
                return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // NaN, made quiet
            }
            return (short) (sign | 0x7c00); // Inf, or finite but too large
        }
        if (abs <= ZERO_BITS) {
            return (short) sign;
        }
        return (short) (sign | subnormal(abs));
    }

    /** The subnormal half (in units of 2^-24, may carry into 0x400 = 2^-14) nearest to a float in (2^-25, 2^-14). */
    private static int subnormal(int abs) {
        int exponent = abs >>> 23;                      // 102..112
        int significand = (abs & 0x7fffff) | 0x800000;  // value = significand * 2^(exponent - 150)
        int shift = 126 - exponent;                     // 14..24: to units of 2^-24
        int q = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (q & 1) != 0)) {
            q++;
        }
        return q;
    }

    /** The float equal to the half {@code h} (exact; a NaN comes back quiet with its sign and payload). */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int fraction = bits & 0x3ff;
        if (exponent == 0) {
            // zero or subnormal: fraction * 2^-24 is exact in a float
            float magnitude = fraction * 0x1p-24f;
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
        }
        if (exponent == 0x1f) {
            int quiet = fraction == 0 ? 0 : 0x400000;
            return Float.intBitsToFloat(sign | 0x7f800000 | quiet | (fraction << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (fraction << 13));
    }

    /** The half nearest to {@code x}, held in a float ({@code toFloat(fromFloat(x))}). */
    public static float round(float x) {
        int f = Float.floatToRawIntBits(x);
        int abs = f & 0x7fffffff;
        if (abs < MIN_NORMAL_BITS) {
            // zero and subnormal half range: halves are the multiples of 2^-24 here. Adding 0.5 puts |x| where a
            // float's ulp is 2^-24, so the float addition rounds it to nearest, ties to even (0.5 is an even
            // multiple), and subtracting 0.5 again is exact; the sign is put back (zero keeps its sign)
            return Math.copySign((Math.abs(x) + 0.5f) - 0.5f, x);
        }
        if (abs < OVERFLOW_BITS) {
            // normal half range: round the float's fraction to 10 bits in place
            return Float.intBitsToFloat((f + 0xfff + ((f >>> 13) & 1)) & 0xffffe000);
        }
        return toFloat(fromFloat(x));
    }

    /** True when {@code h} is +-Inf or a NaN. */
    public static boolean isInfOrNaN(short h) {
        return (h & 0x7c00) == 0x7c00;
    }
}
