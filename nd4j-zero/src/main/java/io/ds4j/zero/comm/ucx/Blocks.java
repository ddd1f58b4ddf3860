package io.ds4j.zero.comm.ucx;

import java.nio.FloatBuffer;

/**
 * Where the N blocks of a collective's vector lie, block q (owned by rank q) of {@code len[q]} floats: in native
 * memory, which UCX sends from and receives into where it lies, or in a Java array, which goes through staging slots
 * chunk by chunk.
 */
final class Blocks {
    final int[] len;
    private final long[] address;
    private final float[] array;
    private final int[] offset;

    private Blocks(int[] len, long[] address, float[] array, int[] offset) {
        this.len = len;
        this.address = address;
        this.array = array;
        this.offset = offset;
    }

    /** {@code length} floats at {@code array[offset]} split among n ranks ({@link #segment}). */
    static Blocks split(float[] array, int offset, int length, int n) {
        int[] at = new int[n];
        int[] len = new int[n];
        for (int q = 0; q < n; q++) {
            at[q] = offset + segment(length, n, q);
            len[q] = segment(length, n, q + 1) - segment(length, n, q);
        }
        return new Blocks(len, null, array, at);
    }

    /** {@code length} floats at native {@code address} split among n ranks ({@link #segment}). */
    static Blocks split(long address, int length, int n) {
        long[] at = new long[n];
        int[] len = new int[n];
        for (int q = 0; q < n; q++) {
            at[q] = address + 4L * segment(length, n, q);
            len[q] = segment(length, n, q + 1) - segment(length, n, q);
        }
        return new Blocks(len, at, null, null);
    }

    /** n blocks of {@code length} floats, block q at {@code array[first + q * stride]} (stride 0: all at first). */
    static Blocks strided(float[] array, int first, int stride, int length, int n) {
        int[] at = new int[n];
        for (int q = 0; q < n; q++) {
            at[q] = first + q * stride;
        }
        return new Blocks(each(length, n), null, array, at);
    }

    /** n blocks of {@code length} floats, block q at native {@code first + 4 q stride} (stride 0: all at first). */
    static Blocks strided(long first, int stride, int length, int n) {
        long[] at = new long[n];
        for (int q = 0; q < n; q++) {
            at[q] = first + 4L * q * stride;
        }
        return new Blocks(each(length, n), at, null, null);
    }

    /** The root's block is {@code length} floats at {@code array[offset]}, the other ranks' are empty. */
    static Blocks rootOnly(float[] array, int offset, int length, int root, int n) {
        int[] len = new int[n];
        len[root] = length;
        return new Blocks(len, null, array, each(offset, n));
    }

    /** Where segment s (of n) of {@code length} floats starts: {@code length * s / n}. */
    static int segment(int length, int n, int s) {
        return (int) ((long) length * s / n);
    }

    private static int[] each(int value, int n) {
        int[] v = new int[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    boolean onHeap() {
        return array != null;
    }

    /** The native address of float {@code from} of block q (native blocks only). */
    long address(int q, int from) {
        return address[q] + 4L * from;
    }

    /** A view of floats {@code [from, from + count)} of block q, indexed from 0. */
    FloatBuffer view(int q, int from, int count) {
        if (array != null) {
            return FloatBuffer.wrap(array, offset[q] + from, count).slice();
        }
        return OwnerReduce.floats(address(q, from), count);
    }

    /** Whether block q here and block p of {@code o} are the same memory (an in-place collective). */
    boolean same(int q, Blocks o, int p) {
        return array != null ? array == o.array && offset[q] == o.offset[p]
                : o.array == null && address[q] == o.address[p];
    }
}
