package io.ds4j.zero.comm;

/** The collectives {@link Collectives} offers, as counted by {@link CommStats}. */
public enum CollectiveKind {
    /** Element-wise sum of a vector over all ranks, result on every rank. */
    ALL_REDUCE,
    /** All-reduce of one scalar (sum or max); used for norms and overflow decisions. */
    SCALAR_ALL_REDUCE,
    /** Element-wise sum over ranks of block r, delivered to rank r only. */
    REDUCE_SCATTER,
    /** Element-wise sum over ranks of one vector, delivered to one root rank only (ZeRO-2's gradient buckets). */
    REDUCE,
    /** Every rank's block delivered to every rank. */
    ALL_GATHER,
    /** The root's vector copied to every rank. */
    BROADCAST,
    /** Synchronization only; moves nothing. */
    BARRIER
}
