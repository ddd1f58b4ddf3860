package io.ds4j.zero.kernels;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * fp32 elements of a {@link FloatBuffer}, index 0 at the buffer's index 0 and {@code limit()} elements; typically an
 * off-heap direct buffer or a view of an ND4J buffer ({@link Nd4jStorage}). Kernels stage it through scratch tiles.
 *
 * @param buffer the buffer (absolute indexing; its position is ignored)
 * @param owner  the object that owns the buffer's memory, held so that it is not freed while this storage is in use
 *               (e.g. the ND4J array whose native memory the buffer maps: a FloatBuffer over native memory does not
 *               keep its owner alive); {@code null} when the buffer owns its memory
 */
public record BufferFp32(FloatBuffer buffer, Object owner) implements Fp32Storage {
    /** Checks for null. */
    public BufferFp32 {
        Objects.requireNonNull(buffer, "buffer");
    }

    /** A buffer that owns its memory (heap or {@link java.nio.ByteBuffer#allocateDirect}). */
    public BufferFp32(FloatBuffer buffer) {
        this(buffer, null);
    }

    @Override
    public long length() {
        return buffer.limit();
    }

    @Override
    public void read(long from, float[] dst, int dstOffset, int len, float scale) {
        buffer.get((int) from, dst, dstOffset, len);
        if (scale != 1f) {
            for (int i = 0; i < len; i++) {
                dst[dstOffset + i] *= scale;
            }
        }
    }

    @Override
    public void write(long to, float[] src, int srcOffset, int len) {
        buffer.put((int) to, src, srcOffset, len);
    }
}
