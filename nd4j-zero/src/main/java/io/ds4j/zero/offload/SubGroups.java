package io.ds4j.zero.offload;

/**
 * A shard of {@code elements} split into runs of {@code size} elements, the last one possibly shorter (DeepSpeed's
 * {@code sub_group_size}). Pure.
 *
 * @param elements elements of the shard, {@code >= 0}
 * @param size     elements per sub-group, {@code >= 1}
 */
public record SubGroups(long elements, long size) {
    /** Validates the values. */
    public SubGroups {
        if (elements < 0) {
            throw new IllegalArgumentException("elements must be >= 0, got " + elements);
        }
        if (size < 1) {
            throw new IllegalArgumentException("sub_group_size must be >= 1, got " + size);
        }
    }

    /** Number of sub-groups ({@code 0} for an empty shard). */
    public int count() {
        return (int) ((elements + size - 1) / size);
    }

    /** First element of sub-group {@code i}. */
    public long start(int i) {
        check(i);
        return i * size;
    }

    /** Elements of sub-group {@code i}. */
    public int length(int i) {
        check(i);
        return (int) Math.min(size, elements - i * size);
    }

    /** Elements of the largest sub-group: the size of one swap buffer. */
    public int largest() {
        return (int) Math.min(size, elements);
    }

    private void check(int i) {
        if (i < 0 || i >= count()) {
            throw new IndexOutOfBoundsException("sub-group " + i + " is outside [0, " + count() + ")");
        }
    }
}
