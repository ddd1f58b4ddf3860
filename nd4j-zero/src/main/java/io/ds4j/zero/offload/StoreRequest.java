package io.ds4j.zero.offload;

import java.util.Objects;

import io.ds4j.zero.ledger.MemoryLedger;

/**
 * What a store must hold for one rank.
 *
 * @param rank         the rank (names files and ledger entries)
 * @param elements     elements of the rank's shard, {@code 0 <= elements <= 2^31 - 1}
 * @param stateWords   fp32 optimizer state vectors per element ({@code FusedOptimizer.stateWords()})
 * @param subGroupSize {@code sub_group_size}: elements stepped (and swapped) at a time, {@code >= 1}
 * @param ledger       the rank's ledger
 */
public record StoreRequest(int rank, long elements, int stateWords, long subGroupSize, MemoryLedger ledger) {
    /** Validates the values, naming the bad one. */
    public StoreRequest {
        Objects.requireNonNull(ledger, "ledger");
        if (rank < 0) {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
        if (elements < 0 || elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shard elements must be in [0, 2^31-1], got " + elements);
        }
        if (stateWords < 0) {
            throw new IllegalArgumentException("optimizer state words must be >= 0, got " + stateWords);
        }
        if (subGroupSize < 1) {
            throw new IllegalArgumentException("zero_optimization.sub_group_size: " + subGroupSize
                    + " is not allowed; use at least 1 element (DeepSpeed default 1000000000)");
        }
    }

    /** The sub-groups of the shard. */
    public SubGroups subGroups() {
        return new SubGroups(elements, subGroupSize);
    }

    /** The same request for {@code count} elements (a part of the shard). */
    StoreRequest withElements(long count) {
        return new StoreRequest(rank, count, stateWords, subGroupSize, ledger);
    }

    /** Bytes of the fp32 master and state: {@code (1 + K) * 4 * elements}. */
    public long stateBytes() {
        return (1L + stateWords) * Float.BYTES * elements;
    }
}
