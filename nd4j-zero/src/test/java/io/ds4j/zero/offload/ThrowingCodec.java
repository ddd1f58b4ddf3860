package io.ds4j.zero.offload;

import io.ds4j.zero.kernels.ChunkCodec;

/**
 * A 16-bit test format (value = bits / 256) that throws once it has decoded {@code failAfter} elements: a way to make
 * a kernel fail in the middle of a step.
 */
final class ThrowingCodec implements ChunkCodec {
    private final long failAfter;
    private long decoded;

    ThrowingCodec(long failAfter) {
        this.failAfter = failAfter;
    }

    @Override
    public String name() {
        return "throwing-test";
    }

    @Override
    public synchronized void decode(short[] src, int srcOffset, float[] dst, int dstOffset, int length, float scale) {
        decoded += length;
        if (decoded > failAfter) {
            throw new IllegalStateException("injected failure after " + failAfter + " gradient elements");
        }
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = src[srcOffset + i] / 256f * scale;
        }
    }

    @Override
    public void encode(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = (short) Math.round(src[srcOffset + i] * 256f);
        }
    }
}
