package io.ds4j.zero.stage3;

import java.util.List;

/**
 * DeepSpeed's choice of persistent parameters: in parameter order, a tensor of at most
 * {@code param_persistence_threshold} elements persists, unless adding it would take the persistent total beyond
 * {@code model_persistence_threshold} (then it is skipped and later, smaller ones may still persist).
 */
public final class Persistence {
    private Persistence() {
    }

    /**
     * Marks the persistent parameters of {@code params} (all SHARDED).
     *
     * @return the number of persistent elements
     */
    public static long mark(List<PartitionedParam> params, long paramThreshold, long modelThreshold) {
        long total = 0;
        for (PartitionedParam p : params) {
            int n = p.spec().numel();
            if (n + total > modelThreshold) {
                continue;
            }
            if (n <= paramThreshold) {
                p.markPersistent();
                total += n;
            }
        }
        return total;
    }
}
