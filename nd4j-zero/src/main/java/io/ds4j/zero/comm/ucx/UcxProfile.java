package io.ds4j.zero.comm.ucx;

import java.util.Locale;

/**
 * Where one rank's time in {@link UcxCollectives} went, summed over the collectives since the last
 * {@link UcxCollectives#resetProfile()}: so that a bandwidth short of UCX's own is explained by measurement, not
 * guessed. Wall-clock nanoseconds of the rank's thread:
 *
 * @param collectives collectives run
 * @param total       inside the collectives, from entry to return
 * @param moving      in UCX worker progress calls that completed or advanced something (within a host: UCX copying
 *                    the bytes between the processes, shared memory or cross-memory attach)
 * @param polling     in progress calls that found nothing to do, and backing off between them: waiting for a peer
 * @param summing     adding the contributions in rank order
 * @param staging     copying {@code float[]} vectors into and out of native memory (UCX cannot use the Java heap)
 * @param posting     in the calls that post a send or a receive: UCX starts a transfer there, and within a host may
 *                    copy all of a message that has already arrived before the call returns
 */
public record UcxProfile(long collectives, long total, long moving, long polling, long summing, long staging,
        long posting) {
    /** Nothing yet. */
    public static final UcxProfile EMPTY = new UcxProfile(0, 0, 0, 0, 0, 0, 0);

    /** The rest of {@link #total()}: checks and bookkeeping between the calls above. */
    public long other() {
        return total - moving - polling - summing - staging - posting;
    }

    /** @return both profiles together */
    public UcxProfile plus(UcxProfile o) {
        return new UcxProfile(collectives + o.collectives, total + o.total, moving + o.moving, polling + o.polling,
                summing + o.summing, staging + o.staging, posting + o.posting);
    }

    /** Shares of the total, e.g. {@code "UCX moving 61%, waiting 9%, sum 22%, staging 0%, posting 3%, other 5%"}. */
    public String shares() {
        double t = Math.max(1, total);
        return String.format(Locale.ROOT, "UCX moving %.0f%%, waiting %.0f%%, sum %.0f%%, staging %.0f%%, posting"
                + " %.0f%%, other %.0f%%", 100 * moving / t, 100 * polling / t, 100 * summing / t, 100 * staging / t,
                100 * posting / t, 100 * other() / t);
    }

    /** Accumulates a profile cheaply on the collective's own thread. */
    static final class Meter {
        private long collectives;
        private long total;
        private long moving;
        private long polling;
        private long summing;
        private long staging;
        private long posting;

        void progress(long nanos, boolean moved) {
            if (moved) {
                moving += nanos;
            } else {
                polling += nanos;
            }
        }

        void pause(long nanos) {
            polling += nanos;
        }

        void sum(long nanos) {
            summing += nanos;
        }

        void staging(long nanos) {
            staging += nanos;
        }

        void posting(long nanos) {
            posting += nanos;
        }

        void collective(long nanos) {
            collectives++;
            total += nanos;
        }

        synchronized UcxProfile snapshot() {
            return new UcxProfile(collectives, total, moving, polling, summing, staging, posting);
        }

        synchronized void reset() {
            collectives = total = moving = polling = summing = staging = posting = 0;
        }
    }
}
