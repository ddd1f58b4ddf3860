package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.precision.Precision;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link GradientCast} on hand-computed cases. DL4J's gradient {@code g} is the sum over a micro-batch of m = 4;
 * DeepSpeed stores {@code scale * g / m} rounded to fp16 (bits worked out by hand in each comment).
 */
class GradientCastTest {
    static final double SCALE = 65536;   // 2^16, DeepSpeed's default initial_scale_power

    @Test
    void fp16OverflowsOnlyWhenScaledAndUnderflowsOnlyWithoutScaling() {
        float[] g = {
            8f,               // mean 2: unscaled 0x4000; scaled 131072 > 65504 (and >= 65520) -> Inf 0x7c00
            4 * 0x1p-26f,     // mean 2^-26: unscaled below half of 2^-24 -> 0; scaled 2^-10 -> 0x1400
            -4 * 3f,          // mean -3: unscaled 0xc200; scaled -196608 -> -Inf 0xfc00
            4 * 0x1p-17f,     // mean 2^-17 = 128 * 2^-24 (fp16 subnormal): unscaled 0x0080; scaled 2^-1 -> 0x3800
        };
        short[] unscaled = new short[4];
        assertFalse(GradientCast.fp16().cast(g, 0, 4, 4, 1.0, unscaled, 0));
        assertArrayEquals(new short[] {0x4000, 0x0000, (short) 0xc200, 0x0080}, unscaled);
        short[] scaled = new short[4];
        assertTrue(GradientCast.fp16().cast(g, 0, 4, 4, SCALE, scaled, 0));
        assertArrayEquals(new short[] {0x7c00, 0x1400, (short) 0xfc00, 0x3800}, scaled);
        // without the overflowing elements the same scale is fine
        short[] part = new short[2];
        assertFalse(GradientCast.fp16().cast(g, 1, 1, 4, SCALE, part, 0));
        assertEquals(0x1400, part[0]);
    }

    @Test
    void roundsOnceToNearestEven() {
        float[] g = {
            4 * (1 + 0x1p-11f),       // mean 1 + 2^-11: halfway between 1 (0x3c00) and 1 + 2^-10: even -> 0x3c00
            4 * (1 + 3 * 0x1p-11f),   // mean 1 + 3*2^-11: halfway between 0x3c01 and 0x3c02: even -> 0x3c02
            4 * 65519.996f,           // mean just below 65520 (the tie with 2^16): 65504 = 0x7bff, finite
            4 * 0x1p-25f,             // mean 2^-25: halfway between 0 and 2^-24: even -> +0
        };
        short[] out = new short[4];
        assertFalse(GradientCast.fp16().cast(g, 0, 4, 4, 1.0, out, 0));
        assertArrayEquals(new short[] {0x3c00, 0x3c02, 0x7bff, 0x0000}, out);
        // (1 + 2^-11) * (1 + 2^-29) = 1 + 2^-11 + 2^-29 + 2^-40 is just above the tie, so the nearest half is
        // 1 + 2^-10 (0x3c01); a plain double -> float -> half cast would land on the tie and give 0x3c00
        short[] above = new short[1];
        GradientCast.fp16().cast(new float[] {1 + 0x1p-11f}, 0, 1, 1, 1 + 0x1p-29, above, 0);
        assertEquals(0x3c01, above[0]);
    }

    @Test
    void bf16WithoutScaling() {
        float[] g = {
            4 * (1 + 0x1p-8f),        // mean 1 + 2^-8: halfway between 1 (0x3f80) and 1 + 2^-7: even -> 0x3f80
            4 * (1 + 3 * 0x1p-8f),    // mean 1 + 3*2^-8: halfway between 0x3f81 and 0x3f82: even -> 0x3f82
            4 * 0x1p-132f,            // mean 2^-132 = 2 * 2^-133 (bf16's smallest subnormal): 0x0002, kept
            -4f,                      // mean -1 -> 0xbf80
        };
        short[] out = new short[4];
        assertFalse(GradientCast.bf16().cast(g, 0, 4, 4, 1.0, out, 0));
        assertArrayEquals(new short[] {0x3f80, 0x3f82, 0x0002, (short) 0xbf80}, out);
        // the largest float rounds up past the largest bf16 (0x1.fep127) to Inf: the only way bf16 overflows
        short[] inf = new short[1];
        assertTrue(GradientCast.bf16().cast(new float[] {Float.MAX_VALUE}, 0, 1, 1, 1.0, inf, 0));
        assertEquals(0x7f80, inf[0]);
    }

    @Test
    void nanAndInfAreOverflow() {
        short[] out = new short[2];
        assertTrue(GradientCast.fp16().cast(new float[] {1f, Float.NaN}, 0, 2, 1, 1.0, out, 0));
        assertEquals(0x7c00, out[1] & 0x7c00);
        assertTrue(GradientCast.bf16().cast(new float[] {Float.NEGATIVE_INFINITY, 0f}, 0, 2, 1, 1.0, out, 0));
        assertEquals((short) 0xff80, out[0]);
    }

    @Test
    void inPlaceOnAFlatGradientViewMatchesTheShortForm() {
        float[] all = {100f, 8f, 4 * 0x1p-26f, 4 * (1 + 0x1p-11f), -12f, 100f};
        INDArray flat = Nd4j.createFromArray(all.clone());
        INDArray view = flat.get(NDArrayIndex.interval(1, 5));   // a DL4J-style contiguous view with an offset
        assertTrue(GradientCast.fp16().roundInPlace(view, 4, SCALE));
        short[] bits = new short[4];
        GradientCast.fp16().cast(all, 1, 4, 4, SCALE, bits, 0);
        float[] got = flat.toFloatVector();
        assertEquals(100f, got[0]);
        assertEquals(100f, got[5]);
        // 2 * 2^16 -> Inf, 2^-26 * 2^16 = 2^-10, (1 + 2^-11) * 2^16 = 65568 -> Inf, -3 * 2^16 -> -Inf
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 0x1p-10f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY}, java.util.Arrays.copyOfRange(got, 1, 5));
        assertArrayEquals(new short[] {0x7c00, 0x1400, 0x7c00, (short) 0xfc00}, bits);
        float[] unscaled = {8f, 4 * 0x1p-26f};
        assertFalse(GradientCast.fp16().roundInPlace(unscaled, 0, 2, 4, 1.0));
        assertArrayEquals(new float[] {2f, 0f}, unscaled);
    }

    @Test
    void roundToOddEdgeCases() {
        assertEquals(1.5f, GradientCast.roundToOdd(1.5));                             // exact stays
        assertEquals(Float.MAX_VALUE, GradientCast.roundToOdd(1e300));                // truncated, MAX is odd
        assertEquals(-Float.MIN_VALUE, GradientCast.roundToOdd(-1e-300));             // -0 made odd
        assertEquals(Float.POSITIVE_INFINITY, GradientCast.roundToOdd(Double.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(GradientCast.roundToOdd(Double.NaN)));
        // 1 + 2^-24 + 2^-40 lies between 1 and 1 + 2^-23: toward zero is 1 (even), made odd: 1 + 2^-23
        assertEquals(1 + 0x1p-23f, GradientCast.roundToOdd(1 + 0x1p-24 + 0x1p-40));
        // 1 + 2^-23 - 2^-40 rounds to nearest 1 + 2^-23 (away from zero): one step back to 1, made odd: 1 + 2^-23
        assertEquals(1 + 0x1p-23f, GradientCast.roundToOdd(1 + 0x1p-23 - 0x1p-40));
        // 2 - 2^-40 rounds to nearest 2 (away): step back to the float below 2 (odd already)
        assertEquals(Math.nextDown(2f), GradientCast.roundToOdd(2 - 0x1p-40));
    }

    @Test
    void badInputNamesTheProblem() {
        short[] out = new short[1];
        float[] g = {1f};
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
                () -> GradientCast.fp16().cast(g, 0, 1, 0, 1.0, out, 0));
        assertEquals("train_micro_batch_size_per_gpu (the micro-batch size m the summed gradient is divided by) "
                + "must be >= 1, got 0", m.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> GradientCast.fp16().cast(g, 0, 1, 1, Double.NaN, out, 0));
        assertTrue(s.getMessage().contains("got NaN"));
        assertThrows(IllegalArgumentException.class, () -> new GradientCast(Precision.FP32));
        assertThrows(IllegalArgumentException.class, () -> GradientCast.fp16().cast(g, 0, 2, 1, 1.0, out, 0));
        IllegalArgumentException strided = assertThrows(IllegalArgumentException.class,
                () -> GradientCast.fp16().roundInPlace(Nd4j.create(new float[] {1, 2, 3, 4}, 2, 2)
                        .getColumn(0), 1, 1.0));
        assertTrue(strided.getMessage().contains("contiguous"));
    }
}
