package io.ds4j.zero.stage3;

/**
 * Where one rank's shard of a {@link PartitionedParam} lives between uses: on the heap ({@link HeapShardStore},
 * device or host tier), in a file (parameter offload to NVMe, {@link FileShardStore}), or in the optimizer's own fp32
 * master array (fp32 training without offload, where the partitioned parameters are the master). Reads and writes
 * ranges of the shard's {@link #length()} elements; padding elements read as zero. Confined to the rank's thread.
 *
 * <p>Call order: any number of reads and writes, then {@link #close()} once; the store is unusable afterwards.
 */
public interface ShardStore extends AutoCloseable {
    /** Elements of the shard (the padded shard length). */
    int length();

    /**
     * Copies shard elements {@code [from, from + n)} into {@code dst[at, at + n)}.
     *
     * @throws IndexOutOfBoundsException when the range is outside the shard or {@code dst}
     */
    void read(int from, float[] dst, int at, int n);

    /**
     * Replaces shard elements {@code [from, from + n)} with {@code src[at, at + n)}.
     *
     * @throws IndexOutOfBoundsException when the range is outside the shard or {@code src}
     */
    void write(int from, float[] src, int at, int n);

    /**
     * Copies shard elements {@code [from, from + n)} into {@code dst} at indices {@code [at, at + n)} (absolute: the
     * buffer's position is not used or changed), e.g. straight into native memory. This default goes through one heap
     * tile of at most 4096 elements; stores that hold their elements in memory copy them directly.
     */
    default void read(int from, java.nio.FloatBuffer dst, int at, int n) {
        float[] tile = new float[Math.min(Math.max(n, 0), 4096)];
        for (int done = 0; done < n; done += tile.length) {
            int k = Math.min(tile.length, n - done);
            read(from + done, tile, 0, k);
            dst.put(at + done, tile, 0, k);
        }
    }

    /** Copies the shard into {@code dst[0, length)}. */
    default void read(float[] dst) {
        read(0, dst, 0, length());
    }

    /** Replaces the shard with {@code src[0, length)}. */
    default void write(float[] src) {
        write(0, src, 0, length());
    }

    /** Releases the storage and its ledger entry. */
    @Override
    void close();

    /**
     * Checks a range against a shard of {@code length} elements and an array of {@code arrayLength}.
     *
     * @throws IndexOutOfBoundsException naming the range
     */
    static void checkRange(int length, int from, int arrayLength, int at, int n) {
        if (n < 0 || from < 0 || at < 0 || from > length - n || at > arrayLength - n) {
            throw new IndexOutOfBoundsException("shard range [" + from + ", " + ((long) from + n) + ") of a shard of "
                    + length + " elements, array range [" + at + ", " + ((long) at + n) + ") of an array of "
                    + arrayLength);
        }
    }
}
