package io.ds4j.zero.kernels;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The elements of a vector in some storage (see the package documentation). Positions are relative to the start of
 * the storage, which may itself be a range of a larger array or buffer. Reads and writes of disjoint ranges may run
 * concurrently.
 */
public sealed interface VectorStorage permits Fp32Storage, VectorStorage.Heap16, VectorStorage.Buffer16,
        VectorStorage.Indirect {
    /** Number of elements. */
    long length();

    /** Copies {@code [from, from+length)} as fp32 times {@code scale} into {@code dst[dstOffset..]}. */
    void read(long from, float[] dst, int dstOffset, int length, float scale);

    /** Stores {@code src[srcOffset, +length)} at {@code [to, to+length)}, converting to the storage format. */
    void write(long to, float[] src, int srcOffset, int length);

    /** A heap fp32 range. */
    static HeapFp32 of(float[] array, int offset, int length) {
        return new HeapFp32(array, offset, length);
    }

    /** A whole heap fp32 array. */
    static HeapFp32 of(float[] array) {
        return new HeapFp32(array, 0, array.length);
    }

    /** An fp32 buffer from its position to its limit (direct or heap). */
    static BufferFp32 of(FloatBuffer buffer) {
        return new BufferFp32(buffer.slice());
    }

    /** 16-bit values in a heap array range. */
    static Heap16 of(short[] array, int offset, int length, ChunkCodec codec) {
        return new Heap16(array, offset, length, codec);
    }

    /** 16-bit values in a buffer from its position to its limit. */
    static Buffer16 of(ShortBuffer buffer, ChunkCodec codec) {
        return new Buffer16(buffer.slice(), codec, null);
    }

    /** 16-bit values in a {@code short[]} range, converted by {@code codec}. */
    record Heap16(short[] array, int offset, int size, ChunkCodec codec) implements VectorStorage {
        /** Checks the range. */
        public Heap16 {
            HeapFp32.checkRange(array.length, offset, size);
            java.util.Objects.requireNonNull(codec, "codec");
        }

        @Override
        public long length() {
            return size;
        }

        @Override
        public void read(long from, float[] dst, int dstOffset, int len, float scale) {
            codec.decode(array, offset + (int) from, dst, dstOffset, len, scale);
        }

        @Override
        public void write(long to, float[] src, int srcOffset, int len) {
            codec.encode(src, srcOffset, array, offset + (int) to, len);
        }
    }

    /**
     * 16-bit values in a {@link ShortBuffer} (index 0 is the buffer's first element), staged through scratch.
     * {@code owner} is held so the memory is not freed while in use (see {@link BufferFp32}); may be null.
     */
    record Buffer16(ShortBuffer buffer, ChunkCodec codec, Object owner) implements VectorStorage {
        private static final ThreadLocal<short[]> SCRATCH = ThreadLocal.withInitial(() -> new short[Tile.SIZE]);

        /** Checks the codec. */
        public Buffer16 {
            java.util.Objects.requireNonNull(codec, "codec");
        }

        /** A buffer that owns its memory. */
        public Buffer16(ShortBuffer buffer, ChunkCodec codec) {
            this(buffer, codec, null);
        }

        @Override
        public long length() {
            return buffer.limit();
        }

        @Override
        public void read(long from, float[] dst, int dstOffset, int len, float scale) {
            short[] s = scratch(len);
            buffer.get((int) from, s, 0, len);
            codec.decode(s, 0, dst, dstOffset, len, scale);
        }

        @Override
        public void write(long to, float[] src, int srcOffset, int len) {
            short[] s = scratch(len);
            codec.encode(src, srcOffset, s, 0, len);
            buffer.put((int) to, s, 0, len);
        }

        private static short[] scratch(int len) {
            short[] s = SCRATCH.get();
            if (s.length < len) {
                s = new short[len];
                SCRATCH.set(s);
            }
            return s;
        }
    }

    /**
     * How an {@link Indirect} storage reaches its fp32 values: element positions are those of the whole vector.
     * Called for one range at a time unless the owner says otherwise (a kernel pool of one thread runs on the caller).
     */
    interface RangeAccess {
        /** Copies elements {@code [from, from + n)} into {@code dst[at, at + n)}. */
        void read(long from, float[] dst, int at, int n);

        /** Replaces elements {@code [to, to + n)} by {@code src[at, at + n)}. */
        void write(long to, float[] src, int at, int n);
    }

    /**
     * fp32 values that no single array or buffer holds (pieces of several arrays, a file), reached a range at a time
     * through {@code access}, so a whole-vector copy never has to exist: elements {@code [offset, offset + size)} of
     * the access's vector. Not an {@link Fp32Storage}: masters and optimizer state stay in memory the kernels index.
     *
     * @param access how the values are read and written
     * @param offset the first element of the access's vector this storage covers
     * @param size   elements
     */
    record Indirect(RangeAccess access, long offset, long size) implements VectorStorage {
        /** Checks the range. */
        public Indirect {
            java.util.Objects.requireNonNull(access, "access");
            if (offset < 0 || size < 0) {
                throw new IllegalArgumentException("indirect storage [" + offset + ", +" + size + ") is negative");
            }
        }

        @Override
        public long length() {
            return size;
        }

        @Override
        public void read(long from, float[] dst, int dstOffset, int len, float scale) {
            check(from, len);
            access.read(offset + from, dst, dstOffset, len);
            if (scale != 1f) {
                for (int i = dstOffset; i < dstOffset + len; i++) {
                    dst[i] *= scale;
                }
            }
        }

        @Override
        public void write(long to, float[] src, int srcOffset, int len) {
            check(to, len);
            access.write(offset + to, src, srcOffset, len);
        }

        private void check(long from, int len) {
            if (from < 0 || len < 0 || from + len > size) {
                throw new IndexOutOfBoundsException("[" + from + ", " + (from + len) + ") is outside an indirect"
                        + " storage of " + size + " elements");
            }
        }
    }
}
