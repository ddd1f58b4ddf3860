package io.ds4j.zero.stage3;

/**
 * Where one rank's shard of a {@link PartitionedParam} lives between uses: on the heap ({@link HeapShardStore},
 * device or host tier), in a file (parameter offload to NVMe), or in the optimizer's own fp32 master array (fp32
 * training, where the partitioned parameters are the master). Reads and writes whole shards of
 * {@link #length()} elements; padding elements read as zero. Confined to the rank's thread.
 */
public interface ShardStore extends AutoCloseable {
    /** Elements of the shard (the padded shard length). */
    int length();

    /** Copies the shard into {@code dst[0, length)}. */
    void read(float[] dst);

    /** Replaces the shard with {@code src[0, length)}. */
    void write(float[] src);

    /** Releases the storage and its ledger entry. */
    @Override
    void close();
}
