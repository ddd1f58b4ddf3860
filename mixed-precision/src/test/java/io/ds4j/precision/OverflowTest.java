package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Inf/NaN detection on float[], fp16 and bf16 short[] and INDArray views, including range edges. */
class OverflowTest {

    private static final int N = 5000; // more than two scan blocks

    private static float[] finite(long seed) {
        Random r = new Random(seed);
        float[] a = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = (float) (r.nextGaussian() * 1e30);
        }
        a[0] = Float.MAX_VALUE;
        a[1] = -Float.MAX_VALUE;
        a[2] = Float.MIN_VALUE;
        a[3] = -0f;
        return a;
    }

    @Test
    void finiteExtremesAreNotOverflow() {
        assertFalse(Overflow.hasInfOrNaN(finite(1), 0, N));
        assertFalse(Overflow.hasInfOrNaN(new float[0], 0, 0));
        assertFalse(Overflow.isInfOrNaN(Float.MAX_VALUE));
        assertTrue(Overflow.isInfOrNaN(Float.NEGATIVE_INFINITY));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2047, 2048, 2049, 4095, 4096, 4999})
    void everyPositionIsSeenAndRangesAreRespected(int at) {
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0xff800001)}) {
            float[] a = finite(at);
            a[at] = bad;
            assertTrue(Overflow.hasInfOrNaN(a, 0, N), bad + " at " + at);
            if (at > 0) {
                assertFalse(Overflow.hasInfOrNaN(a, 0, at), "range ends before " + at);
            }
            if (at < N - 1) {
                assertFalse(Overflow.hasInfOrNaN(a, at + 1, N - at - 1), "range starts after " + at);
            }
            assertTrue(Overflow.hasInfOrNaN(a, at, 1));
        }
    }

    @Test
    void fp16AndBf16Bits() {
        short[] h = new short[N];
        short[] b = new short[N];
        for (int i = 0; i < N; i++) {
            h[i] = (short) (i % 2 == 0 ? 0x7bff : 0xfbff); // +-65504, the largest finite halves
            b[i] = (short) (i % 2 == 0 ? 0x7f7f : 0xff7f); // +-largest finite bf16
        }
        assertFalse(Overflow.hasInfOrNaNFp16(h, 0, N));
        assertFalse(Overflow.hasInfOrNaNBf16(b, 0, N));
        // a bf16 Inf pattern 0x7f80 is a finite half (1.875 * 2^15 = 61440); a half Inf 0x7c00 a finite bf16
        assertFalse(Overflow.hasInfOrNaNFp16(new short[] {(short) 0x7f80 & 0x7bff}, 0, 1));
        assertFalse(Overflow.hasInfOrNaNBf16(new short[] {0x7c00}, 0, 1));
        for (int bad : new int[] {0x7c00, 0xfc00, 0x7e00, 0x7c01}) {
            h[4096] = (short) bad;
            assertTrue(Overflow.hasInfOrNaNFp16(h, 0, N), Integer.toHexString(bad));
            assertFalse(Overflow.hasInfOrNaNFp16(h, 4097, N - 4097));
            assertTrue(Fp16.isInfOrNaN((short) bad));
        }
        for (int bad : new int[] {0x7f80, 0xff80, 0x7fc0, 0x7f81}) {
            b[N - 1] = (short) bad;
            assertTrue(Overflow.hasInfOrNaNBf16(b, 0, N), Integer.toHexString(bad));
            assertFalse(Overflow.hasInfOrNaNBf16(b, 0, N - 1));
            assertTrue(Bf16.isInfOrNaN((short) bad));
        }
    }

    @Test
    void indArrayViewsSeeOnlyTheirElements() {
        float[] data = finite(3);
        data[10] = Float.NaN;          // before the view
        data[N - 5] = Float.POSITIVE_INFINITY; // after the view
        INDArray flat = Nd4j.createFromArray(data).reshape(1, N);
        INDArray view = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(11, N - 5));
        assertFalse(Overflow.hasInfOrNaN(view));
        assertTrue(Overflow.hasInfOrNaN(flat));
        view.putScalar(4500, Float.NEGATIVE_INFINITY);
        assertTrue(Overflow.hasInfOrNaN(view));
        assertEquals(Float.NEGATIVE_INFINITY, flat.getFloat(0, 4511), 0f);

        INDArray m = Nd4j.createFromArray(finite(4)).reshape('c', 50, 100);
        m.putScalar(7, 3, Float.NaN);
        assertTrue(Overflow.hasInfOrNaN(m.getColumn(3)));
        assertFalse(Overflow.hasInfOrNaN(m.getColumn(4)));
        assertTrue(Overflow.hasInfOrNaN(m.get(NDArrayIndex.interval(5, 9), NDArrayIndex.interval(2, 6))));
        assertFalse(Overflow.hasInfOrNaN(m.get(NDArrayIndex.interval(8, 20), NDArrayIndex.interval(2, 6))));
        assertTrue(Overflow.hasInfOrNaN(m.dup('f')));
    }

    @Property(tries = 300)
    void agreesWithFloatIsFinite(@ForAll @Size(max = 300) int[] bits, @ForAll @IntRange(max = 50) int off) {
        float[] a = new float[bits.length + off];
        boolean expected = false;
        for (int i = 0; i < bits.length; i++) {
            a[off + i] = Float.intBitsToFloat(bits[i]);
            expected |= !Float.isFinite(a[off + i]);
        }
        assertEquals(expected, Overflow.hasInfOrNaN(a, off, bits.length));
        short[] h = new short[bits.length];
        short[] b = new short[bits.length];
        boolean expectedHalf = false;
        boolean expectedBf16 = false;
        for (int i = 0; i < bits.length; i++) {
            h[i] = (short) bits[i];
            b[i] = (short) (bits[i] >>> 16);
            expectedHalf |= Double.isNaN(ExactRounding.FP16.decode(h[i] & 0xffff))
                    || Double.isInfinite(ExactRounding.FP16.decode(h[i] & 0xffff));
            expectedBf16 |= !Float.isFinite(a[off + i]);
        }
        assertEquals(expectedHalf, Overflow.hasInfOrNaNFp16(h, 0, h.length));
        assertEquals(expectedBf16, Overflow.hasInfOrNaNBf16(b, 0, b.length));
    }
}
