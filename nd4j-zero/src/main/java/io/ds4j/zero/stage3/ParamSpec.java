package io.ds4j.zero.stage3;

/**
 * What a parameter tensor is, before it is partitioned.
 *
 * @param id    its position in the flat vector's parameter order, {@code >= 0}, unique in a model
 * @param name  a readable name for messages (e.g. {@code "layer 2 (dense) W"})
 * @param numel its elements, {@code >= 0}
 */
public record ParamSpec(int id, String name, int numel) {
    /** Validates id and numel. */
    public ParamSpec {
        if (id < 0) {
            throw new IllegalArgumentException("parameter '" + name + "': id must be >= 0, got " + id);
        }
        if (numel < 0) {
            throw new IllegalArgumentException("parameter '" + name + "': numel must be >= 0, got " + numel);
        }
    }
}
