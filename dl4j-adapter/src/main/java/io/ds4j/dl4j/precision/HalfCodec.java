package io.ds4j.dl4j.precision;

import io.ds4j.precision.Bulk16;
import io.ds4j.precision.Precision;
import io.ds4j.zero.kernels.ChunkCodec;

/**
 * The fp16 and bf16 {@link ChunkCodec}s for nd4j-zero's fused optimizer kernels, delegating to the array conversions
 * of {@link Bulk16}: decoding is exact and then multiplied by the kernel's gradient multiplier
 * (one float rounding); encoding rounds to nearest, ties to even, keeps NaN and turns too large values into Inf.
 * Stateless, so the two constants are shared by every kernel thread.
 *
 * <p>Use: {@code VectorStorage.of(shorts, offset, length, HalfCodec.FP16)} for a 16-bit gradient or compute copy.
 * (Not an enum: {@code Enum.name()} is final and would answer {@code FP16} instead of DeepSpeed's {@code fp16}.)
 */
public final class HalfCodec implements ChunkCodec {
    /** IEEE binary16. */
    public static final HalfCodec FP16 = new HalfCodec(Precision.FP16);
    /** bfloat16. */
    public static final HalfCodec BF16 = new HalfCodec(Precision.BF16);

    private final Precision precision;
    private final Bulk16 bulk;

    private HalfCodec(Precision precision) {
        this.precision = precision;
        this.bulk = Bulk16.of(precision);
    }

    /**
     * The codec for a 16-bit format.
     *
     * @throws IllegalArgumentException for fp32, which needs no codec
     */
    public static HalfCodec of(Precision precision) {
        return switch (precision) {
            case FP16 -> FP16;
            case BF16 -> BF16;
            case FP32 -> throw new IllegalArgumentException("fp32 has no 16-bit codec; store fp32 vectors with "
                    + "VectorStorage.of(float[]) instead");
        };
    }

    /** The format this codec stores. */
    public Precision precision() {
        return precision;
    }

    /** DeepSpeed's spelling, {@code fp16} or {@code bf16}. */
    @Override
    public String name() {
        return precision.key();
    }

    @Override
    public void decode(short[] src, int srcOffset, float[] dst, int dstOffset, int length, float scale) {
        bulk.decode(src, srcOffset, dst, dstOffset, length, scale);
    }

    @Override
    public void encode(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        bulk.encode(src, srcOffset, dst, dstOffset, length);
    }

    @Override
    public String toString() {
        return "HalfCodec[" + name() + "]";
    }
}
