package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** bf16 conversions against {@link ExactRounding} (BigDecimal neighbours, ties to even) and hand-derived values. */
class Bf16ConversionTest {

    private static final ExactRounding REF = ExactRounding.BF16;

    private static int bits(short b) {
        return b & 0xffff;
    }

    private static void assertRoundsLikeReference(float x) {
        short b = Bf16.fromFloat(x);
        if (Float.isNaN(x)) {
            assertTrue(Bf16.isInfOrNaN(b) && (b & 0x7f) != 0, "NaN stays NaN: " + x);
            assertEquals(0x40, b & 0x40, "NaN comes back quiet");
            assertEquals(Float.floatToRawIntBits(x) >>> 31, bits(b) >>> 15, "NaN keeps its sign");
            assertTrue(Float.isNaN(Bf16.round(x)));
            return;
        }
        int expected = REF.round(x);
        assertEquals(Integer.toHexString(expected), Integer.toHexString(bits(b)), "bf16 bits of " + x);
        assertEquals(Float.floatToRawIntBits(Bf16.toFloat((short) expected)), Float.floatToRawIntBits(Bf16.round(x)),
                "round(" + x + ")");
    }

    @Test
    void everyBf16DecodesExactlyAndRoundTrips() {
        for (int p = 0; p < 0x10000; p++) {
            short b = (short) p;
            float f = Bf16.toFloat(b);
            double expected = REF.decode(p);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(f), "NaN pattern " + Integer.toHexString(p));
                assertEquals(p | 0x40, bits(Bf16.fromFloat(f)), "NaN round trip keeps sign and payload, made quiet");
                continue;
            }
            assertEquals(expected, f, 0.0, "value of " + Integer.toHexString(p));
            assertEquals(p, bits(Bf16.fromFloat(f)), "round trip of " + Integer.toHexString(p)); // keeps -0
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Bf16.round(f)));
        }
    }

    @Test
    void everyMidpointBetweenNeighboursRoundsToTheEvenOne() {
        // a midpoint of two consecutive bf16 values needs 9 significant bits: exact in a float
        for (int k = 0; k < REF.finiteCount() - 1; k++) {
            float mid = (float) ((REF.decode(k) + REF.decode(k + 1)) / 2);
            int even = (k & 1) == 0 ? k : k + 1;
            assertEquals(even, bits(Bf16.fromFloat(mid)), "tie between " + k + " and " + (k + 1));
            assertEquals(even | 0x8000, bits(Bf16.fromFloat(-mid)));
            assertEquals(k, bits(Bf16.fromFloat(Math.nextDown(mid))), "just below the tie");
            assertEquals(k + 1, bits(Bf16.fromFloat(Math.nextUp(mid))), "just above the tie");
        }
    }

    @Test
    void handDerivedValues() {
        // largest bf16 (2 - 2^-7) * 2^127 = 0x7f7f; halfway to 2^128 (0x1.ffp127) ties to the even 2^128 = Inf
        assertEquals(0x7f7f, bits(Bf16.fromFloat(Bf16.MAX_VALUE)));
        assertEquals(0x7f80, bits(Bf16.fromFloat(0x1.ffp127f)));
        assertEquals(0x7f7f, bits(Bf16.fromFloat(Math.nextDown(0x1.ffp127f))));
        assertEquals(0x7f80, bits(Bf16.fromFloat(Float.MAX_VALUE)));
        assertEquals(0xff80, bits(Bf16.fromFloat(Float.NEGATIVE_INFINITY)));
        // 1 + 2^-8 is halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81); 1 + 3 * 2^-8 ties up to 0x3f82
        assertEquals(0x3f80, bits(Bf16.fromFloat(1f + 0x1p-8f)));
        assertEquals(0x3f82, bits(Bf16.fromFloat(1f + 3 * 0x1p-8f)));
        // subnormals: the smallest bf16 is 2^-133 (0x0001); 2^-134 ties to 0; 1.5 * 2^-133 ties to 2 units
        assertEquals(0x0001, bits(Bf16.fromFloat(0x1p-133f)));
        assertEquals(0x0000, bits(Bf16.fromFloat(0x1p-134f)));
        assertEquals(0x0002, bits(Bf16.fromFloat(1.5f * 0x1p-133f)));
        assertEquals(0x0000, bits(Bf16.fromFloat(Float.MIN_VALUE)));
        assertEquals(0x8000, bits(Bf16.fromFloat(-0f)));
        assertEquals(0x7fc0, bits(Bf16.fromFloat(Float.NaN)));
        assertEquals(0x7fc0, bits(Bf16.fromFloat(Float.intBitsToFloat(0x7f800001)))); // payload only in low bits
        // 1/3 = 0x3eaaaaab: the dropped half 0xaaab is above 0x8000, so it rounds up to 0x3eab
        assertEquals(0x3eab, bits(Bf16.fromFloat(1f / 3f)));
    }

    @Property(tries = 5000)
    void anyFloatBitsRoundLikeTheReference(@ForAll int bits) {
        assertRoundsLikeReference(Float.intBitsToFloat(bits));
    }

    @Property(tries = 2000)
    void floatsWithFewFractionBitsRoundLikeTheReference(@ForAll @IntRange(min = 0, max = 0x1ff) int top,
                                                         @ForAll @IntRange(min = -1, max = 1) int nudge) {
        // values near ties: a float whose low 16 bits are 0x8000 (a tie) or one ulp either side, any exponent
        int b = (top << 23) | (0x12 << 16) | 0x8000;
        assertRoundsLikeReference(Math.abs(nudge) == 0 ? Float.intBitsToFloat(b)
                : nudge < 0 ? Math.nextDown(Float.intBitsToFloat(b)) : Math.nextUp(Float.intBitsToFloat(b)));
    }
}
