package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ds4j.precision.Precision;
import java.math.BigDecimal;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link GradientCast} against an exact reference: the 16-bit value nearest the real {@code g * 2^k / m} (ties to
 * even), found with exact BigDecimal comparisons over the format's bit patterns (positive patterns are ordered like
 * their values; the pattern after the largest finite one, Inf, stands for the next power of two, which puts the
 * overflow threshold exactly at the largest finite value plus half an ulp, as IEEE rounding does). Half of the cases
 * are built to be exact ties, the rest are random floats over the format's whole range and beyond.
 */
class GradientCastPropertyTest {

    @Property(tries = 3000)
    void fp16IsTheNearestEvenHalfOfTheExactMean(@ForAll @IntRange(min = 1, max = 64) int m,
            @ForAll @IntRange(min = -8, max = 24) int k, @ForAll int bits, @ForAll boolean tie,
            @ForAll @IntRange(min = 0, max = 0x7bfe) int tieBelow) {
        check(Precision.FP16, m, k, bits, tie, tieBelow, 0x7c00);
    }

    @Property(tries = 3000)
    void bf16IsTheNearestEvenBf16OfTheExactMean(@ForAll @IntRange(min = 1, max = 64) int m,
            @ForAll @IntRange(min = -8, max = 8) int k, @ForAll int bits, @ForAll boolean tie,
            @ForAll @IntRange(min = 0, max = 0x7f7e) int tieBelow) {
        check(Precision.BF16, m, k, bits, tie, tieBelow, 0x7f80);
    }

    private static void check(Precision format, int m, int k, int bits, boolean tie, int tieBelow, int inf) {
        double factor = Math.scalb(1.0, k);
        float g = tie ? tieGradient(format, tieBelow, m, factor) : randomGradient(format, bits);
        if (!Float.isFinite(g)) {
            return;
        }
        short[] out = new short[1];
        GradientCast cast = new GradientCast(format);
        boolean overflow = cast.cast(new float[] {g}, 0, 1, m, factor, out, 0);
        short expected = nearestEven(format, new BigDecimal(g).multiply(new BigDecimal(factor)), m, inf);
        if (Float.floatToRawIntBits(g) < 0) {
            expected |= (short) 0x8000;   // the sign of the exact product, -0 included (BigDecimal has no -0)
        }
        assertEquals(expected, out[0], () -> format + " g=" + g + " m=" + m + " factor=2^" + k);
        assertEquals((expected & inf) == inf, overflow);
        float[] inPlace = {g};
        cast.roundInPlace(inPlace, 0, 1, m, factor);
        float expectedFloat = (expected & inf) != inf ? (float) HalfCodecTest.value(format, expected)
                : expected < 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        assertEquals(expectedFloat, inPlace[0]);   // bit-exact, the sign of zero included
    }

    /** A float whose mean over m, times factor, is exactly halfway between patterns tieBelow and tieBelow + 1. */
    private static float tieGradient(Precision format, int tieBelow, int m, double factor) {
        double mid = (HalfCodecTest.value(format, (short) tieBelow) + HalfCodecTest.value(format,
                (short) (tieBelow + 1))) / 2;
        return (float) (mid * m / factor);   // exact: mid has <= 12 significant bits, m <= 6 bits, factor 2^k
    }

    /** A random float with a magnitude around the format's range (fp16: 2^-30..2^20; bf16: any float). */
    private static float randomGradient(Precision format, int bits) {
        if (format == Precision.BF16) {
            return Float.intBitsToFloat(bits);
        }
        int exponent = 97 + Math.floorMod(bits >>> 23, 51);   // 2^-30 .. 2^20
        return Float.intBitsToFloat((bits & 0x807fffff) | (exponent << 23));
    }

    /** The pattern nearest {@code a / m} (exact), ties to even; positive patterns are searched by bisection. */
    private static short nearestEven(Precision format, BigDecimal a, int m, int inf) {
        int sign = a.signum() < 0 ? 0x8000 : 0;
        BigDecimal abs = a.abs();
        BigDecimal bm = BigDecimal.valueOf(m);
        int lo = 0;
        int hi = inf;   // invariant: value(lo) * m <= abs, and abs < value(hi) * m unless hi == inf
        if (abs.compareTo(exact(format, (short) inf, inf).multiply(bm)) >= 0) {
            return (short) (sign | inf);
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (exact(format, (short) mid, inf).multiply(bm).compareTo(abs) <= 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        BigDecimal below = abs.subtract(exact(format, (short) lo, inf).multiply(bm));
        BigDecimal above = exact(format, (short) hi, inf).multiply(bm).subtract(abs);
        int c = below.compareTo(above);
        int pick = c < 0 ? lo : c > 0 ? hi : ((lo & 1) == 0 ? lo : hi);
        return (short) (sign | pick);
    }

    /** Exact value of a non-negative pattern; the Inf pattern stands for the next power of two. */
    private static BigDecimal exact(Precision format, short bits, int inf) {
        if ((bits & 0x7fff) == inf) {
            return new BigDecimal(format == Precision.FP16 ? 65536.0 : Math.scalb(1.0, 128));
        }
        return new BigDecimal(HalfCodecTest.value(format, bits));
    }
}
