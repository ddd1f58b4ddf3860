package io.ds4j.zero.shard;

/**
 * A half-open run {@code [offset, offset + length)} of flat-vector elements.
 *
 * @param offset first element
 * @param length number of elements, {@code >= 0}
 */
public record Range(long offset, long length) {
    /** Validates that offset and length are non-negative. */
    public Range {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range offset and length must be >= 0, got offset " + offset
                    + ", length " + length);
        }
    }

    /** One past the last element. */
    public long end() {
        return offset + length;
    }

    /** Whether the range holds no element. */
    public boolean isEmpty() {
        return length == 0;
    }

    /** Whether {@code index} lies inside. */
    public boolean contains(long index) {
        return index >= offset && index < end();
    }

    /** The overlap with {@code other} (empty, at the later start, when they do not overlap). */
    public Range intersect(Range other) {
        long start = Math.max(offset, other.offset);
        long stop = Math.min(end(), other.end());
        return new Range(start, Math.max(0, stop - start));
    }
}
