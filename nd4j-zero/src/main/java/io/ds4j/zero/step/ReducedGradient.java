package io.ds4j.zero.step;

/**
 * Where a rank finds its reduced gradient after {@link ZeroStep#reduce()}: elements {@code [offset, offset+length)}
 * of {@code data} hold, for the flat range {@link ZeroStep#updateRange()}, the mean over ranks of the ranks'
 * accumulated local gradients.
 *
 * @param data the buffer (owned by the step; valid until the next {@code accumulate})
 * @param offset first element in {@code data}
 * @param length elements, equal to the update range's length
 */
public record ReducedGradient(float[] data, int offset, int length) {
    /** Validates the bounds. */
    public ReducedGradient {
        if (offset < 0 || length < 0 || (long) offset + length > data.length) {
            throw new IllegalArgumentException("reduced gradient [" + offset + ", " + ((long) offset + length)
                    + ") is outside a buffer of " + data.length);
        }
    }
}
