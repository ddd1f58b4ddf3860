package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.precision.Bulk16;
import io.ds4j.precision.Fp16;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * HALF compute leans on ND4J's own FLOAT/HALF casts (on CUDA they run on the device): the replica's parameters are
 * cast to HALF, its fp16 gradient is read back as FLOAT, and the gathered compute copy (fp16 values in FLOAT) is cast
 * into the HALF network. This checks, on the backend the tests run on, that those casts are what ds4j's own
 * conversions ({@link Fp16}, checked bit-exactly against a reference in mixed-precision) say: HALF to FLOAT exact
 * for all 65,536 patterns, FLOAT to HALF round-to-nearest-even at every tie and its neighbours (normal, subnormal,
 * overflow boundary), NaN kept, too large values to Inf.
 */
class NdHalfCastTest {

    @Test
    void halfToFloatIsExactForEveryPattern() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] expected = new float[all.length];
        Bulk16.FP16.decode(all, 0, expected, 0, all.length, 1f);
        float[] floats = new float[all.length];
        System.arraycopy(expected, 0, floats, 0, all.length);
        // build the HALF array from exactly representable values, then read it back as FLOAT
        float[] back = Nd4j.createFromArray(floats).castTo(DataType.HALF).castTo(DataType.FLOAT).toFloatVector();
        for (int i = 0; i < all.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(back[i]),
                    "pattern 0x" + Integer.toHexString(i) + " (" + expected[i] + ")");
        }
    }

    @Test
    void floatToHalfRoundsToNearestEvenEverywhere() {
        float[] cases = cases();
        INDArray half = Nd4j.createFromArray(cases).castTo(DataType.HALF);
        float[] got = half.castTo(DataType.FLOAT).toFloatVector();
        int inexact = 0;
        for (int i = 0; i < cases.length; i++) {
            float want = Fp16.round(cases[i]);
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]), "cast of " + cases[i]
                    + " (bits 0x" + Integer.toHexString(Float.floatToRawIntBits(cases[i])) + ")");
            inexact += Fp16.round(cases[i]) != cases[i] ? 1 : 0;
        }
        assertTrue(inexact > 3 * 60000, "the cases must be values that need rounding: " + inexact);
    }

    /** Every positive and negative fp16 value's upper midpoint, one float ulp either side, plus random floats. */
    private static float[] cases() {
        float[] out = new float[2 * 31743 * 3 + 20000 + 4];
        int k = 0;
        for (int sign = 0; sign < 2; sign++) {
            for (int h = 0; h < 0x7bff; h++) {   // up to the last finite value below 65504
                float lo = Fp16.toFloat((short) (h | sign << 15));
                float hi = Fp16.toFloat((short) (h + 1 | sign << 15));
                float mid = (lo + hi) / 2f;      // exact in float: fp16 has 13 fewer fraction bits
                out[k++] = mid;
                out[k++] = Math.nextUp(mid);
                out[k++] = Math.nextDown(mid);
            }
        }
        Random r = new Random(3);
        for (int i = 0; i < 20000; i++) {
            out[k++] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 28));
        }
        out[k++] = Float.NaN;
        out[k++] = Float.POSITIVE_INFINITY;
        out[k++] = 65520f;                       // the tie above 65504: rounds to Inf
        out[k++] = Math.nextDown(65520f);        // just below it: 65504
        return java.util.Arrays.copyOf(out, k);
    }
}
