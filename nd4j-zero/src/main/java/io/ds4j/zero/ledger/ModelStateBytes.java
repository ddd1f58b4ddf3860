package io.ds4j.zero.ledger;

/**
 * Model-state bytes held by one rank.
 *
 * @param parameters     compute copy
 * @param gradients      gradients
 * @param optimizerState optimizer state words
 * @param masterWeights  fp32 master copy
 */
public record ModelStateBytes(long parameters, long gradients, long optimizerState, long masterWeights) {
    /** The sum of the four. */
    public long total() {
        return parameters + gradients + optimizerState + masterWeights;
    }

    /** The same four values held by a ledger snapshot, over all tiers. */
    public static ModelStateBytes of(LedgerSnapshot s) {
        return new ModelStateBytes(s.bytes(MemoryCategory.PARAMETERS), s.bytes(MemoryCategory.GRADIENTS),
                s.bytes(MemoryCategory.OPTIMIZER_STATE), s.bytes(MemoryCategory.MASTER_WEIGHTS));
    }
}
