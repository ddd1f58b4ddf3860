package io.ds4j.zero.comm.ucx;

import java.util.Objects;

/** Argument checks of the collectives, with the messages {@link io.ds4j.zero.comm.InProcessCollectives} gives. */
final class Checks {
    private Checks() {
    }

    static void range(int rank, String what, float[] a, int offset, int length) {
        Objects.requireNonNull(a, what);
        if (offset < 0 || length < 0 || (long) offset + length > a.length) {
            throw new IllegalArgumentException("rank " + rank + ": " + what + " range [" + offset + ", "
                    + ((long) offset + length) + ") is outside the array of length " + a.length);
        }
    }

    static void strided(int rank, int worldSize, String what, float[] a, int offset, int stride, int length) {
        if (stride < length) {
            throw new IllegalArgumentException("rank " + rank + ": " + what + " stride " + stride
                    + " is smaller than the block length " + length + "; blocks must not overlap");
        }
        range(rank, what, a, offset, (int) Math.min(Integer.MAX_VALUE, (long) stride * (worldSize - 1) + length));
    }

    static void root(int worldSize, String what, int root) {
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException(what + " root " + root + " is not a rank of this group (0.."
                    + (worldSize - 1) + ")");
        }
    }
}
