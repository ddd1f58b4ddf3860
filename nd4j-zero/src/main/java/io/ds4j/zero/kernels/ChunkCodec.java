package io.ds4j.zero.kernels;

/**
 * Converts a chunk of 16-bit stored values (fp16, bf16, or a test format) to fp32 and back. Implementations must be
 * stateless and thread-safe: kernel threads call them concurrently on disjoint chunks.
 *
 * <p>fp32 needs no codec: {@link HeapFp32} and {@link BufferFp32} are the built-in fp32 storage and read with the
 * scale applied. The fp16 and bf16 codecs come from the mixed-precision module (round-to-nearest-even conversions);
 * the adapter wraps them in this interface and passes them to {@link VectorStorage#of(short[], int, int, ChunkCodec)}
 * or {@link Nd4jStorage#bits16}.
 */
public interface ChunkCodec {
    /** A short name for messages, e.g. {@code fp16}. */
    String name();

    /** {@code dst[dstOffset + i] = value(src[srcOffset + i]) * scale} for {@code i < length}. */
    void decode(short[] src, int srcOffset, float[] dst, int dstOffset, int length, float scale);

    /** {@code dst[dstOffset + i] = bits(src[srcOffset + i])} for {@code i < length}, rounding as the format defines. */
    void encode(float[] src, int srcOffset, short[] dst, int dstOffset, int length);
}
