package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ds4j.precision.Precision;
import io.ds4j.zero.kernels.Betas;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A fused Adam step (nd4j-zero's {@link FusedAdam}) reading fp16/bf16 gradients and writing an fp16/bf16 compute copy
 * through {@link HalfCodec}, against a double-precision Adam applied to the decoded gradients (decoded here with
 * the format's definition, not with the code under test).
 *
 * <p>Tolerances: the fp32 master within 2e-6 relative (absolute below 1) of the double reference after 10 steps
 * (each step rounds the update with about 8 fp32 operations, 8 * 2^-24 of an update of at most lr * 3, plus the
 * parameter once, 2^-24 of |p| <= 1.2: 10 * 7.5e-8 = 7.5e-7, rounded up). The gradient multiplier 1/1024 is a power
 * of two, so the kernel sees exactly the reference's gradients. The compute copy is checked bit for bit: it must be
 * the 16-bit value nearest the fp32 master (ties to even), i.e. rounded once at the end of the step, and so within
 * half a 16-bit ulp (plus the master's tolerance) of the double reference.
 */
class HalfCodecTest {
    static final double TOL = 2e-6;
    static final int N = 70_001;
    static final int STEPS = 10;
    static final float LOSS_SCALE = 1024f;

    @ParameterizedTest(name = "{0} direct={1} threads={2}")
    @CsvSource({"FP16,false,1", "FP16,true,2", "BF16,false,2", "BF16,true,1"})
    void fusedAdamThroughCodecsMatchesDoubleReference(Precision format, boolean direct, int threads) {
        HalfCodec codec = HalfCodec.of(format);
        Random rnd = new Random(42);
        float[] master = new float[N];
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) {
            master[i] = (float) (rnd.nextDouble() * 2 - 1);
            ref[i] = master[i];
        }
        float[] m = new float[N];
        float[] v = new float[N];
        double[][] refState = new double[2][N];
        short[] grads = new short[N];
        short[] copy = new short[N];
        ShortBuffer gradBuffer = ByteBuffer.allocateDirect(2 * N).order(ByteOrder.nativeOrder()).asShortBuffer();
        FusedAdam adam = new FusedAdam(new Betas(0.9f, 0.999f), 1e-8f, 0.01f, true, true);
        try (KernelPool pool = new KernelPool(threads)) {
            for (int t = 1; t <= STEPS; t++) {
                for (int i = 0; i < N; i++) {
                    // loss-scaled gradient of about 0.05 * 1024, stored in the format (any bits will do)
                    grads[i] = codec == HalfCodec.FP16 ? fp16Bits(rnd.nextGaussian() * 0.05 * LOSS_SCALE)
                            : (short) (Float.floatToIntBits((float) (rnd.nextGaussian() * 0.05 * LOSS_SCALE)) >>> 16);
                }
                gradBuffer.put(0, grads);
                VectorStorage g = direct ? VectorStorage.of(gradBuffer, codec) : VectorStorage.of(grads, 0, N, codec);
                OptimizerBuffers b = new OptimizerBuffers(g, VectorStorage.of(master),
                        List.of(VectorStorage.of(m), VectorStorage.of(v)), VectorStorage.of(copy, 0, N, codec));
                adam.step(b, new StepArgs(t, 1e-2f, 1f / LOSS_SCALE), pool);
                double[] decoded = new double[N];
                for (int i = 0; i < N; i++) {
                    decoded[i] = value(format, grads[i]) / LOSS_SCALE;
                }
                reference(ref, refState, decoded, t, 1e-2, adam);
                check(format, master, copy, ref, t);
            }
        }
    }

    private static void check(Precision format, float[] master, short[] copy, double[] ref, int step) {
        for (int i = 0; i < N; i++) {
            double err = Math.abs(master[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
            if (!(err <= TOL)) {
                throw new AssertionError("step " + step + " master[" + i + "]=" + master[i] + " ref " + ref[i]);
            }
            assertNearestEven(format, copy[i], master[i], "step " + step + " copy[" + i + "]");
            double c = value(format, copy[i]);
            double halfUlp = Math.abs(value(format, (short) (copy[i] + 1)) - c) / 2;
            assertTrue(Math.abs(c - ref[i]) <= halfUlp + TOL * Math.max(1, Math.abs(ref[i])),
                    "step " + step + " copy[" + i + "]=" + c + " ref " + ref[i]);
        }
    }

    /** {@code bits} is the 16-bit value nearest {@code x}; on a tie its last bit is 0. */
    static void assertNearestEven(Precision format, short bits, float x, String what) {
        double d = Math.abs(value(format, bits) - x);
        int magnitude = bits & 0x7fff;
        for (int delta : new int[] {-1, 1}) {
            if (magnitude + delta < 0) {
                continue;
            }
            short other = (short) ((bits & 0x8000) | (magnitude + delta));
            double od = Math.abs(value(format, other) - x);
            assertTrue(d < od || (d == od && (bits & 1) == 0), () -> what + ": " + value(format, bits)
                    + " is not the nearest-even 16-bit value to " + x);
        }
    }

    /** The value of 16-bit {@code bits} from the format's definition (finite values only). */
    static double value(Precision format, short bits) {
        int b = bits & 0xffff;
        if (format == Precision.BF16) {
            return Float.intBitsToFloat(b << 16);
        }
        int e = (b >>> 10) & 31;
        int f = b & 1023;
        double mag = e == 0 ? f * 0x1p-24 : (1 + f / 1024.0) * Math.pow(2, e - 15);
        return (b & 0x8000) != 0 ? -mag : mag;
    }

    /** Some fp16 bit pattern near {@code x} (|x| < 65504): truncation, enough for test inputs. */
    private static short fp16Bits(double x) {
        int sign = x < 0 ? 0x8000 : 0;
        double a = Math.abs(x);
        if (a < 0x1p-14) {
            return (short) (sign | (int) (a / 0x1p-24));
        }
        int e = Math.getExponent(a);
        int f = (int) ((a / Math.pow(2, e) - 1) * 1024);
        return (short) (sign | ((e + 15) << 10) | f);
    }

    /** DeepSpeed's CPU AdamW (decoupled weight decay, bias correction, eps outside the correction), in double. */
    private static void reference(double[] p, double[][] s, double[] g, long t, double lr, FusedAdam o) {
        double b1 = o.betas().beta1();
        double b2 = o.betas().beta2();
        double bc1 = 1 - Math.pow(b1, t);
        double bc2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < p.length; i++) {
            s[0][i] = b1 * s[0][i] + (1 - b1) * g[i];
            s[1][i] = b2 * s[1][i] + (1 - b2) * g[i] * g[i];
            double denom = Math.sqrt(s[1][i]) / Math.sqrt(bc2) + o.eps();
            p[i] -= lr * o.weightDecay() * p[i];
            p[i] -= lr / bc1 * s[0][i] / denom;
        }
    }

    @org.junit.jupiter.api.Test
    void namesAndLookup() {
        assertEquals("fp16", HalfCodec.FP16.name());
        assertEquals("bf16", HalfCodec.BF16.name());
        assertSame(HalfCodec.BF16, HalfCodec.of(Precision.BF16));
        assertEquals(Precision.FP16, HalfCodec.FP16.precision());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HalfCodec.of(Precision.FP32));
        assertTrue(e.getMessage().contains("fp32"));
    }

    /**
     * Encoding then decoding (scale 1) is the format's rounding, bit for bit: nd4j-zero's stage-3 parameter stores
     * round through the codec (the nvme copy of a 16-bit shard), where the adapter used {@code Fp16.round} /
     * {@code Bf16.round}. Checked on 2^20 random bit patterns and the edges (zeros, subnormals, the largest finite
     * values and the overflow ties, infinities); a NaN stays a NaN.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"FP16", "BF16"})
    void encodeThenDecodeIsTheFormatsRounding(Precision format) {
        HalfCodec codec = HalfCodec.of(format);
        Random rnd = new Random(11);
        float[] x = new float[(1 << 20) + 12];
        for (int i = 0; i < 1 << 20; i++) {
            x[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        float[] edges = {0f, -0f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f, 65504f, 65520f, 0x1.fep127f,
            0x1.ffp127f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        System.arraycopy(edges, 0, x, 1 << 20, edges.length);
        short[] bits = new short[x.length];
        float[] back = new float[x.length];
        codec.encode(x, 0, bits, 0, x.length);
        codec.decode(bits, 0, back, 0, x.length, 1f);
        for (int i = 0; i < x.length; i++) {
            float r = format.round(x[i]);
            boolean same = Float.isNaN(r) ? Float.isNaN(back[i])
                    : Float.floatToRawIntBits(r) == Float.floatToRawIntBits(back[i]);
            if (!same) {
                fail("x = " + x[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(x[i])) + "): rounds to "
                        + r + ", the codec gives " + back[i]);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void decodeMultipliesAndEncodeRoundsToNearestEven() {
        short[] h = {0x3c00, (short) 0xc000, 0x0001, 0x7bff};   // 1, -2, 2^-24, 65504
        float[] out = new float[4];
        HalfCodec.FP16.decode(h, 0, out, 0, 4, 0.5f);
        assertEquals(List.of(0.5f, -1f, 0x1p-25f, 32752f), List.of(out[0], out[1], out[2], out[3]));
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1; 65520 is halfway to 2^16: Inf
        float[] in = {1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 65520f, Float.NaN};
        short[] enc = new short[4];
        HalfCodec.FP16.encode(in, 0, enc, 0, 4);
        assertEquals(0x3c00, enc[0]);
        assertEquals(0x3c02, enc[1]);
        assertEquals(0x7c00, enc[2]);
        assertEquals(0x7c00, enc[3] & 0x7c00);
        assertTrue((enc[3] & 0x3ff) != 0);
        // bf16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 -> 1 (0x3f80)
        short[] b = new short[1];
        HalfCodec.BF16.encode(new float[] {1 + 0x1p-8f}, 0, b, 0, 1);
        assertEquals(0x3f80, b[0]);
        float[] bo = new float[1];
        HalfCodec.BF16.decode(new short[] {0x4040}, 0, bo, 0, 1, 0.25f);   // 3 * 0.25
        assertEquals(0.75f, bo[0]);
    }

    /**
     * For every fp16 value but NaN, the codec's encoding of its exact float is ND4J's FLOAT-to-HALF cast, bit for bit
     * (subnormals, both zeros and infinities included): the stage-3 HALF bind writes fp16 values with the codec instead
     * of casting a copy of the layer through ND4J, and must give the same bits.
     */
    @org.junit.jupiter.api.Test
    void encodingAnFp16ValueIsNd4jsCast() {
        short[] all = new short[1 << 16];
        for (int b = 0; b < all.length; b++) {
            all[b] = (short) b;
        }
        float[] values = new float[all.length];
        HalfCodec.FP16.decode(all, 0, values, 0, all.length, 1f);
        short[] encoded = new short[all.length];
        HalfCodec.FP16.encode(values, 0, encoded, 0, all.length);
        org.nd4j.linalg.api.ndarray.INDArray cast = org.nd4j.linalg.factory.Nd4j.createFromArray(values)
                .castTo(org.nd4j.linalg.api.buffer.DataType.HALF);
        ShortBuffer nd4j = io.ds4j.zero.kernels.HostFloats.currentShorts(cast);
        int checked = 0;
        for (int b = 0; b < all.length; b++) {
            if (Float.isNaN(values[b])) {
                continue;
            }
            assertEquals(all[b], encoded[b], "codec round trip of fp16 bits " + Integer.toHexString(b));
            assertEquals(all[b], nd4j.get((int) cast.offset() + b), "ND4J's cast of fp16 bits " + Integer.toHexString(b)
                    + " (" + values[b] + ")");
            checked++;
        }
        assertEquals((1 << 16) - 2046, checked, "every fp16 value but the 2046 NaNs");
    }
}
