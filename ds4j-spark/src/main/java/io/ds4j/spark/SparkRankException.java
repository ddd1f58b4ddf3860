package io.ds4j.spark;

/**
 * A rank of a {@link SparkZeroTrainer} job failed, or stopped because another rank failed; the message names the
 * rank(s), their hosts and the cause. Thrown in the executors (failing the barrier stage) and, with Spark's report as
 * its cause, on the driver by {@code fit}.
 */
public final class SparkRankException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the rank
     * @param cause the rank's own failure, or null when another rank's failure stopped it
     */
    public SparkRankException(String message, Throwable cause) {
        super(message, cause);
    }
}
