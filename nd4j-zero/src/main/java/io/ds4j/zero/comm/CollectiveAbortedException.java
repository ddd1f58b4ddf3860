package io.ds4j.zero.comm;

/**
 * Thrown by a collective when its group was aborted: some rank failed (it called {@link Collectives#abort}) or did
 * not arrive in time. {@link #failingRank()} names that rank and {@link #getCause()} is its failure.
 */
public final class CollectiveAbortedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int failingRank;
    private final int observerRank;

    /**
     * @param observerRank the rank that throws this exception
     * @param operation    what the observer was doing (e.g. {@code ALL_REDUCE})
     * @param failingRank  the rank that failed
     * @param cause        the failure of {@code failingRank}
     */
    public CollectiveAbortedException(int observerRank, String operation, int failingRank, Throwable cause) {
        super("rank " + observerRank + ": " + operation + " aborted because rank " + failingRank + " failed: " + cause,
                cause);
        this.failingRank = failingRank;
        this.observerRank = observerRank;
    }

    /** The rank that threw this exception. */
    public int observerRank() {
        return observerRank;
    }

    /** The rank whose failure aborted the group. */
    public int failingRank() {
        return failingRank;
    }
}
