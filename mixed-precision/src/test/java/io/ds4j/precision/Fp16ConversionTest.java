package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** fp16 conversions against {@link ExactRounding} (BigDecimal neighbours, ties to even) and hand-derived values. */
class Fp16ConversionTest {

    private static final ExactRounding REF = ExactRounding.FP16;

    private static int bits(short h) {
        return h & 0xffff;
    }

    private static void assertRoundsLikeReference(float x) {
        short h = Fp16.fromFloat(x);
        if (Float.isNaN(x)) {
            assertTrue(Fp16.isInfOrNaN(h) && (h & 0x3ff) != 0, "NaN stays NaN: " + x);
            assertEquals(0x200, h & 0x200, "NaN comes back quiet");
            assertEquals(Float.floatToRawIntBits(x) >>> 31, bits(h) >>> 15, "NaN keeps its sign");
            assertTrue(Float.isNaN(Fp16.round(x)));
            return;
        }
        int expected = REF.round(x);
        assertEquals(Integer.toHexString(expected), Integer.toHexString(bits(h)), "fp16 bits of " + x);
        assertEquals(Float.floatToRawIntBits(Fp16.toFloat((short) expected)), Float.floatToRawIntBits(Fp16.round(x)),
                "round(" + x + ")");
    }

    /**
     * {@code round} takes an arithmetic shortcut below fp16's smallest normal (2^-14): checked there against
     * {@code toFloat(fromFloat(x))} (itself checked against the BigDecimal reference above) for every float with an
     * exponent from 2^-26 up (about 100 million values, both signs by symmetry of the code), and for a sweep of the
     * tinier floats, which all round to a signed zero.
     */
    @Test
    void roundMatchesTheConversionsForEveryFloatBelowTheSmallestNormal() {
        int bad = 0;
        int first = 0;
        for (int b = 0x32800000; b < 0x38800000; b++) { // 2^-26 .. 2^-14
            float x = Float.intBitsToFloat(b);
            if (Float.floatToRawIntBits(Fp16.round(x)) != Float.floatToRawIntBits(Fp16.toFloat(Fp16.fromFloat(x)))) {
                first = bad++ == 0 ? b : first;
            }
        }
        assertEquals(0, bad, "first mismatch at float bits 0x" + Integer.toHexString(first));
        for (int b = 0; b < 0x32800000; b += 4093) {
            float x = Float.intBitsToFloat(b);
            assertEquals(0, Float.floatToRawIntBits(Fp16.round(x)), "round(" + x + ")");
            assertEquals(0x80000000, Float.floatToRawIntBits(Fp16.round(-x)), "round(" + (-x) + ")");
        }
        assertEquals(Float.floatToRawIntBits(-0x1p-24f), Float.floatToRawIntBits(Fp16.round(-0x1.8p-25f)));
        assertEquals(Float.floatToRawIntBits(0x1p-14f), Float.floatToRawIntBits(Fp16.round(Math.nextDown(0x1p-14f))));
    }

    @Test
    void everyHalfDecodesExactlyAndRoundTrips() {
        for (int b = 0; b < 0x10000; b++) {
            short h = (short) b;
            float f = Fp16.toFloat(h);
            double expected = REF.decode(b);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(f), "NaN pattern " + Integer.toHexString(b));
                int fb = Float.floatToRawIntBits(f);
                assertEquals(b >>> 15, fb >>> 31, "sign of NaN " + Integer.toHexString(b));
                assertTrue((fb & 0x400000) != 0, "decoded NaN is quiet");
                short back = Fp16.fromFloat(f);
                assertEquals(b | 0x200, bits(back), "NaN round trip keeps sign and payload, made quiet");
                continue;
            }
            assertEquals(expected, f, 0.0, "value of " + Integer.toHexString(b));
            assertEquals(b, bits(Fp16.fromFloat(f)), "round trip of " + Integer.toHexString(b)); // keeps -0
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Fp16.round(f)));
        }
    }

    @Test
    void everyMidpointBetweenNeighboursRoundsToTheEvenOne() {
        // a midpoint of two consecutive halves needs 12 significant bits: exact in a float
        for (int k = 0; k < REF.finiteCount() - 1; k++) {
            float mid = (float) ((REF.decode(k) + REF.decode(k + 1)) / 2);
            int even = (k & 1) == 0 ? k : k + 1;
            assertEquals(even, bits(Fp16.fromFloat(mid)), "tie between " + k + " and " + (k + 1));
            assertEquals(even | 0x8000, bits(Fp16.fromFloat(-mid)));
            assertEquals(k, bits(Fp16.fromFloat(Math.nextDown(mid))), "just below the tie");
            assertEquals(k + 1, bits(Fp16.fromFloat(Math.nextUp(mid))), "just above the tie");
        }
    }

    @Test
    void handDerivedValues() {
        // 65504 = (2 - 2^-10) * 2^15 is the largest half: 0x7bff; 65520 is halfway to 2^16, whose fraction is even:
        // it and everything above round to Inf; the float just below 65520 rounds down to 65504.
        assertEquals(0x7bff, bits(Fp16.fromFloat(65504f)));
        assertEquals(0x7bff, bits(Fp16.fromFloat(Math.nextDown(65520f))));
        assertEquals(0x7c00, bits(Fp16.fromFloat(65520f)));
        assertEquals(0xfc00, bits(Fp16.fromFloat(-65520f)));
        assertEquals(0x7c00, bits(Fp16.fromFloat(Float.MAX_VALUE)));
        assertEquals(0x7c00, bits(Fp16.fromFloat(Float.POSITIVE_INFINITY)));
        assertEquals(0xfc00, bits(Fp16.fromFloat(Float.NEGATIVE_INFINITY)));
        // 2^-14 is the smallest normal (exponent field 1); 1023 * 2^-24 the largest subnormal
        assertEquals(0x0400, bits(Fp16.fromFloat(0x1p-14f)));
        assertEquals(0x03ff, bits(Fp16.fromFloat(1023 * 0x1p-24f)));
        // 2^-24 is the smallest subnormal; 2^-25 is the tie between 0 and it: 0 is even; just above goes up
        assertEquals(0x0001, bits(Fp16.fromFloat(0x1p-24f)));
        assertEquals(0x0000, bits(Fp16.fromFloat(0x1p-25f)));
        assertEquals(0x0001, bits(Fp16.fromFloat(Math.nextUp(0x1p-25f))));
        // 1.5 and 2.5 units of 2^-24 are ties: both go to 2 units (even)
        assertEquals(0x0002, bits(Fp16.fromFloat(1.5f * 0x1p-24f)));
        assertEquals(0x0002, bits(Fp16.fromFloat(2.5f * 0x1p-24f)));
        // 1 + 2^-11 is halfway between 1 (0x3c00, even) and 1 + 2^-10; 1 + 3 * 2^-11 between 0x3c01 and 0x3c02
        assertEquals(0x3c00, bits(Fp16.fromFloat(1f + 0x1p-11f)));
        assertEquals(0x3c02, bits(Fp16.fromFloat(1f + 3 * 0x1p-11f)));
        assertEquals(0x8000, bits(Fp16.fromFloat(-0f)));
        assertEquals(0x0000, bits(Fp16.fromFloat(Float.MIN_VALUE)));
        assertEquals(0x8000, bits(Fp16.fromFloat(-Float.MIN_VALUE)));
        assertEquals(0x7e00, bits(Fp16.fromFloat(Float.NaN)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Fp16.round(-1e-30f)));
        assertEquals(Float.POSITIVE_INFINITY, Fp16.round(1e6f));
        assertEquals(Fp16.MAX_VALUE, Fp16.toFloat((short) 0x7bff));
        assertEquals(Fp16.MIN_NORMAL, Fp16.toFloat((short) 0x0400));
        assertEquals(Fp16.MIN_VALUE, Fp16.toFloat((short) 0x0001));
    }

    @Property(tries = 3000)
    void anyFloatBitsRoundLikeTheReference(@ForAll int bits) {
        assertRoundsLikeReference(Float.intBitsToFloat(bits));
    }

    @Property(tries = 3000)
    void floatsAroundTheHalfRangeRoundLikeTheReference(@ForAll @IntRange(min = 100, max = 145) int exponent,
                                                        @ForAll @IntRange(min = 0, max = 0x7fffff) int fraction,
                                                        @ForAll boolean negative) {
        // biased float exponents 100..145 span 2^-27 .. 2^18: below the subnormals up to beyond the Inf threshold
        int b = (negative ? 0x80000000 : 0) | (exponent << 23) | fraction;
        assertRoundsLikeReference(Float.intBitsToFloat(b));
    }

    @Property(tries = 2000)
    void typicalValuesRoundLikeTheReference(@ForAll @FloatRange(min = -70000f, max = 70000f) float x) {
        assertRoundsLikeReference(x);
    }
}
