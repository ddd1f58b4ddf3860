package io.ds4j.dl4j;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeds the random streams of the rank threads, from which DL4J draws dropout masks (and weight noise).
 *
 * <p>ND4J keeps one random generator per thread and seeds a new thread's from the wall clock, so without this the
 * ranks' masks were not reproducible from run to run, and ranks started in the same millisecond drew the same
 * masks for their different examples. Plain {@code fit()} draws from the calling thread's generator, which
 * {@code net.init()} seeds with the configuration's seed. The engine therefore draws one value from the calling
 * thread's generator per run of the ranks ({@link #draw()}), and each rank seeds its thread with a mix of that
 * value and its rank ({@link #seedThisThread}): training is reproducible from the same seed, and the ranks' streams
 * differ. The masks are still not {@code fit()}'s: {@code fit()} draws one mask for the whole global batch from one
 * stream, each rank draws its micro-batches' masks from its own, as each GPU of a DeepSpeed or DDP job does.
 */
public final class RankRandom {

    private RankRandom() {
    }

    /** @return a value from the calling thread's ND4J generator (advances it, as a {@code fit()} would) */
    public static long draw() {
        return Nd4j.getRandom().nextLong();
    }

    /**
     * Rank 0's {@code drawn} value on every rank, for ranks that are processes (each draws from its own generator):
     * all of them then seed from one base, as the threads of one JVM do. 52 bits of it, which a sum of doubles with
     * zeros carries exactly.
     *
     * @param comm this rank's collectives
     * @param drawn a value from {@link #draw()}; only rank 0's is used
     * @return rank 0's value, on every rank
     */
    public static long rankZeros(io.ds4j.zero.comm.Collectives comm, long drawn) {
        long mine = comm.rank() == 0 ? drawn & ((1L << 52) - 1) : 0;
        return (long) comm.allReduceSum((double) mine);
    }

    /**
     * Seeds the current thread's ND4J generator for {@code rank}.
     *
     * @param base a value from {@link #draw()} on the thread that started the ranks
     * @param rank the rank running on this thread
     */
    public static void seedThisThread(long base, int rank) {
        Nd4j.getRandom().setSeed(mix(base + 0x9E3779B97F4A7C15L * (rank + 1)));
    }

    /** SplitMix64's finaliser: nearby inputs give unrelated seeds. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
