package io.ds4j.zero.kernels;

/**
 * A fake 16-bit format for tests: value = bits / 1024 (range about +-32, step 2^-10). Exact both ways for values on
 * that grid, so tests know every decoded gradient exactly; encode rounds to nearest and saturates.
 */
final class FixedPointCodec implements ChunkCodec {
    static final FixedPointCodec INSTANCE = new FixedPointCodec();

    @Override
    public String name() {
        return "fixed-point-test";
    }

    @Override
    public void decode(short[] src, int srcOffset, float[] dst, int dstOffset, int length, float scale) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = (src[srcOffset + i] / 1024f) * scale;
        }
    }

    @Override
    public void encode(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            long q = Math.round(src[srcOffset + i] * 1024.0);
            dst[dstOffset + i] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, q));
        }
    }
}
