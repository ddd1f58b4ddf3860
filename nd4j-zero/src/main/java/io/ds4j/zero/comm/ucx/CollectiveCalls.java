package io.ds4j.zero.comm.ucx;

import java.util.EnumMap;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.CommStats;

/**
 * The numbering and counting of one rank's UCX collectives (part of {@link UcxCollectives}): the sequence number each
 * collective takes, in call order, once it is known that the group was not aborted (it goes into the messages' tags,
 * so that every rank's n-th collective matches the peers' n-th); and, when a collective has completed, its count,
 * elements and bytes per {@link CollectiveKind} ({@link CommStats}) with its time in the link's profile.
 */
final class CollectiveCalls {
    private final UcxLink link;
    private final EnumMap<CollectiveKind, CommStats.Counter> counters = new EnumMap<>(CollectiveKind.class);
    private long seq;

    CollectiveCalls(UcxLink link) {
        this.link = link;
    }

    /**
     * @param op the collective, for the error
     * @return the sequence number of the collective {@code op} starts
     * @throws io.ds4j.zero.comm.CollectiveAbortedException when the group was aborted
     */
    long next(String op) {
        link.throwIfAborted(op);
        return seq++;
    }

    /** Counts a collective, and its time since {@code t0} in the profile (t0 < 0: the caller does). */
    synchronized void count(long t0, CollectiveKind kind, long elements, int bytesPerElement) {
        if (t0 >= 0) {
            link.meter().collective(System.nanoTime() - t0);
        }
        counters.merge(kind, new CommStats.Counter(1, elements, elements * bytesPerElement), CommStats.Counter::plus);
    }

    /** @return the counters so far */
    synchronized CommStats stats() {
        return new CommStats(counters);
    }
}
