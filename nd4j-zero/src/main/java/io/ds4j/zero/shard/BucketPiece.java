package io.ds4j.zero.shard;

/**
 * One bucket of a sharded collective: elements {@code [shardOffset, shardOffset + length)} of every rank's shard.
 * For rank q they are flat elements {@code [q * shardLength + shardOffset, + length)}, so the bucket moves with one
 * strided collective ({@code stride = shardLength}).
 *
 * @param index       position of the bucket in iteration order, from 0
 * @param shardOffset first element, relative to the start of a shard
 * @param length      elements per shard in this bucket
 */
public record BucketPiece(int index, long shardOffset, long length) {
    /** Elements the whole bucket covers over all ranks. */
    public long totalElements(int worldSize) {
        return length * worldSize;
    }

    /** This bucket's elements within rank {@code rank}'s shard, in flat-vector coordinates. */
    public Range flatRange(ShardLayout layout, int rank) {
        return new Range(layout.shardOffset(rank) + shardOffset, length);
    }
}
