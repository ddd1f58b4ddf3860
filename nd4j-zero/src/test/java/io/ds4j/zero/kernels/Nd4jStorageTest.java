package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@link Nd4jStorage} reads and writes the memory of ND4J views at their offsets. */
class Nd4jStorageTest {
    @Test
    void fp32ViewHonoursItsOffset() {
        INDArray flat = Nd4j.arange(50).castTo(DataType.FLOAT);
        INDArray view = flat.get(NDArrayIndex.interval(10, 30));
        BufferFp32 s = Nd4jStorage.fp32(view);
        assertEquals(20, s.length());
        float[] got = new float[5];
        s.read(2, got, 0, 5, 2f);
        assertArrayEquals(new float[] {24, 26, 28, 30, 32}, got);
        s.write(0, new float[] {-1, -2}, 0, 2);
        assertEquals(-1f, flat.getFloat(10));
        assertEquals(-2f, flat.getFloat(11));
        assertEquals(9f, flat.getFloat(9));
    }

    @Test
    void bf16ViewWithATruncatingCodec() {
        ChunkCodec bf16Truncate = new ChunkCodec() {
            @Override
            public String name() {
                return "bf16-truncate-test";
            }

            @Override
            public void decode(short[] src, int so, float[] dst, int d, int n, float scale) {
                for (int i = 0; i < n; i++) {
                    dst[d + i] = Float.intBitsToFloat(src[so + i] << 16) * scale;
                }
            }

            @Override
            public void encode(float[] src, int so, short[] dst, int d, int n) {
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (short) (Float.floatToRawIntBits(src[so + i]) >>> 16);
                }
            }
        };
        INDArray flat = Nd4j.create(DataType.BFLOAT16, 16);
        INDArray view = flat.get(NDArrayIndex.interval(5, 9));
        VectorStorage.Buffer16 s = Nd4jStorage.bits16(view, bf16Truncate);
        s.write(1, new float[] {1.5f, -2f, 0.375f}, 0, 3);
        assertEquals(0f, flat.getFloat(5));
        assertEquals(1.5f, flat.getFloat(6));
        assertEquals(-2f, flat.getFloat(7));
        assertEquals(0.375f, flat.getFloat(8));
        float[] back = new float[3];
        s.read(1, back, 0, 3, 1f);
        assertArrayEquals(new float[] {1.5f, -2f, 0.375f}, back);
    }

    @Test
    void rejectsWrongTypeAndStridedViews() {
        assertThrows(IllegalArgumentException.class, () -> Nd4jStorage.fp32(Nd4j.create(DataType.DOUBLE, 3)));
        INDArray column = Nd4j.create(DataType.FLOAT, 4, 3).getColumn(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Nd4jStorage.fp32(column));
        assertEquals(true, e.getMessage().contains("contiguous"), e.getMessage());
    }
}
