package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Bulk conversions over array ranges and over FLOAT INDArrays (whole, contiguous views with offsets, strided rows
 * and columns, non-uniform sub-matrices, F order). Expected values come from {@link ExactRounding}, element by
 * element; elements outside the range must stay bit-identical.
 */
class BulkConversionTest {

    /** Longer than two chunks of {@code FloatViews.CHUNK} so that chunk boundaries are crossed. */
    private static final int N = 10_007;

    /** Values spread over fp16's and bf16's ranges, with specials, as raw floats. */
    private static float[] values(long seed, int n) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(60) - 40));
        }
        a[3] = Float.NaN;
        a[n / 2] = Float.POSITIVE_INFINITY;
        a[n - 2] = -0f;
        a[n - 1] = 70000f;
        return a;
    }

    private static float refFp16(float x) {
        return Float.isNaN(x) ? Float.NaN : (float) ExactRounding.FP16.decode(ExactRounding.FP16.round(x));
    }

    private static float refBf16(float x) {
        return Float.isNaN(x) ? Float.NaN : (float) ExactRounding.BF16.decode(ExactRounding.BF16.round(x));
    }

    private static void assertSameFloat(float expected, float actual, String what) {
        if (Float.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
        } else {
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                    what + ": expected " + expected + ", got " + actual);
        }
    }

    @Test
    void arrayConversionsTouchOnlyTheirRange() {
        float[] src = values(1, N);
        short[] half = new short[N + 10];
        short[] brain = new short[N + 10];
        short sentinel = (short) 0x1234;
        java.util.Arrays.fill(half, sentinel);
        java.util.Arrays.fill(brain, sentinel);
        Bulk16.FP16.encode(src, 7, half, 3, N - 7);
        Bulk16.BF16.encode(src, 7, brain, 3, N - 7);
        for (int i = 0; i < half.length; i++) {
            boolean inside = i >= 3 && i < 3 + N - 7;
            if (!inside) {
                assertEquals(sentinel, half[i]);
                assertEquals(sentinel, brain[i]);
                continue;
            }
            float x = src[i - 3 + 7];
            assertSameFloat(refFp16(x), Fp16.toFloat(half[i]), "fp16 at " + i);
            assertSameFloat(refBf16(x), Bf16.toFloat(brain[i]), "bf16 at " + i);
        }
    }

    @Test
    void toFloatWithMultiplierUnscales() {
        // halves 0x3c00 + k are 1 + k/1024; times 1/1024 (exact: a power of two) they are (1 + k/1024) / 1024
        short[] h = new short[64];
        short[] b = new short[64];
        for (int k = 0; k < 64; k++) {
            h[k] = (short) (0x3c00 + k);
            b[k] = (short) (0x3f80 + k); // bf16 1 + k/128 for k < 128
        }
        float[] out = new float[70];
        Bulk16.FP16.decode(h, 2, out, 5, 60, 1f / 1024);
        for (int k = 2; k < 62; k++) {
            assertEquals((1 + k / 1024.0) / 1024, out[k + 3], 0.0);
        }
        assertEquals(0f, out[4]);
        assertEquals(0f, out[65]);
        Bulk16.BF16.decode(b, 0, out, 0, 64, 0.25f);
        for (int k = 0; k < 64; k++) {
            assertEquals((1 + k / 128.0) / 4, out[k], 0.0);
        }
        Bulk16.FP16.decode(h, 0, out, 0, 64);
        assertEquals(1 + 63 / 1024.0, out[63], 0.0);
    }

    @Test
    void roundInPlaceOverArrayRanges() {
        float[] a = values(2, N);
        float[] original = a.clone();
        Bulk16.FP16.roundInPlace(a, 11, N - 20);
        for (int i = 0; i < N; i++) {
            float expected = i >= 11 && i < N - 9 ? refFp16(original[i]) : original[i];
            assertSameFloat(expected, a[i], "fp16 at " + i);
        }
        float[] c = original.clone();
        Precision.BF16.roundInPlace(c, 0, N); // dispatches to Bulk16.BF16.roundInPlace
        for (int i = 0; i < N; i++) {
            assertSameFloat(refBf16(original[i]), c[i], "bf16 at " + i);
        }
        float[] d = original.clone();
        Precision.FP32.roundInPlace(d, 0, N);
        assertArrayEquals(original, d);
    }

    @Test
    void badRangesNameTheArrayAndTheRange() {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> Bulk16.FP16.encode(new float[4], 2, new short[8], 0, 3));
        assertTrue(e.getMessage().contains("[2, 5) of src"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> Bulk16.BF16.roundInPlace(new float[4], -1, 2));
    }

    @Test
    void roundInPlaceOnAContiguousViewWithOffset() {
        float[] data = values(3, N);
        INDArray flat = Nd4j.createFromArray(data).reshape(1, N);
        INDArray view = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(101, N - 50));
        Bulk16.FP16.roundInPlace(view);
        float[] after = flat.toFloatVector();
        for (int i = 0; i < N; i++) {
            float expected = i >= 101 && i < N - 50 ? refFp16(data[i]) : data[i];
            assertSameFloat(expected, after[i], "at " + i);
        }
        INDArray inner = view.get(NDArrayIndex.interval(10, 20)); // a view of a view
        Bulk16.BF16.roundInPlace(inner);
        assertSameFloat(refBf16(refFp16(data[111])), flat.getFloat(0, 111), "view of view");
        assertSameFloat(refFp16(data[121]), flat.getFloat(0, 121), "just past the inner view");
    }

    @Test
    void roundInPlaceOnStridedAndNonUniformViews() {
        float[] data = values(4, 600);
        INDArray m = Nd4j.createFromArray(data).reshape('c', 20, 30);
        INDArray column = m.getColumn(7);                // element-wise stride 30
        Bulk16.BF16.roundInPlace(column);
        INDArray block = m.get(NDArrayIndex.interval(2, 9), NDArrayIndex.interval(3, 12)); // no uniform stride
        Bulk16.FP16.roundInPlace(block);
        for (int r = 0; r < 20; r++) {
            for (int c = 0; c < 30; c++) {
                float x = data[r * 30 + c];
                float expected = c == 7 ? refBf16(x) : x;
                if (r >= 2 && r < 9 && c >= 3 && c < 12) {
                    expected = refFp16(expected);
                }
                assertSameFloat(expected, m.getFloat(r, c), "(" + r + "," + c + ")");
            }
        }
    }

    @Test
    void fromFloatOfAnIndArrayFollowsCOrder() {
        float[] data = values(5, 600);
        INDArray f = Nd4j.createFromArray(data).reshape('c', 20, 30).dup('f'); // same values, F layout
        short[] out = new short[602];
        Bulk16.FP16.encode(f, out, 2);
        for (int i = 0; i < 600; i++) {
            assertSameFloat(refFp16(data[i]), Fp16.toFloat(out[i + 2]), "C-order element " + i);
        }
        INDArray column = Nd4j.createFromArray(data).reshape('c', 20, 30).getColumn(4);
        short[] col = new short[20];
        Bulk16.BF16.encode(column, col, 0);
        for (int r = 0; r < 20; r++) {
            assertSameFloat(refBf16(data[r * 30 + 4]), Bf16.toFloat(col[r]), "column row " + r);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Bulk16.FP16.encode(f, new short[600], 1));
    }

    @Test
    void nonFloatArraysAreRejectedWithTheFix() {
        INDArray d = Nd4j.zeros(DataType.DOUBLE, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bulk16.FP16.roundInPlace(d));
        assertTrue(e.getMessage().contains("DOUBLE") && e.getMessage().contains("castTo"), e.getMessage());
        Bulk16.BF16.roundInPlace(Nd4j.create(DataType.FLOAT, 0)); // empty: nothing to do
    }

    @Test
    void eachFormatHasOneSetOfArrayConversionsAndFp32None() {
        assertSame(Bulk16.FP16, Bulk16.of(Precision.FP16));
        assertSame(Bulk16.BF16, Bulk16.of(Precision.BF16));
        assertEquals(Precision.BF16, Bulk16.BF16.format());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bulk16.of(Precision.FP32));
        assertEquals("fp32 has no 16-bit conversions; pass fp16 or bf16", e.getMessage());
    }
}
