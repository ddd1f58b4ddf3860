package io.ds4j.zero.shard;

import java.util.ArrayList;
import java.util.List;

/**
 * A flat vector of {@link #length()} elements split into {@link #worldSize()} contiguous, equal shards after padding
 * to a multiple of {@code worldSize * alignment} (see the package documentation). Immutable and pure.
 *
 * <p>Invariants (property-tested): shards are disjoint, cover {@code [0, paddedLength)}, all have
 * {@link #shardLength()} elements (a multiple of the alignment); padding is {@code < worldSize * alignment}; the owned
 * ranges are disjoint and cover exactly {@code [0, length)}.
 *
 * @param length    real elements of the flat vector, {@code >= 0}
 * @param worldSize ranks, {@code >= 1}
 * @param alignment every shard length is a multiple of it, {@code >= 1} (DeepSpeed stage 1/2: 2)
 */
public record ShardLayout(long length, int worldSize, int alignment) {
    /** Validates the arguments, naming the bad one. */
    public ShardLayout {
        if (length < 0) {
            throw new IllegalArgumentException("flat vector length must be >= 0, got " + length);
        }
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
        }
        if (alignment < 1) {
            throw new IllegalArgumentException("alignment must be >= 1 element, got " + alignment);
        }
    }

    /** A layout without alignment beyond one element. */
    public static ShardLayout of(long length, int worldSize) {
        return new ShardLayout(length, worldSize, 1);
    }

    /** The length rounded up to a multiple of {@code worldSize * alignment}. */
    public long paddedLength() {
        long unit = (long) worldSize * alignment;
        return (length + unit - 1) / unit * unit;
    }

    /** Padding elements appended at the end of the flat vector. */
    public long padding() {
        return paddedLength() - length;
    }

    /** Elements in every shard. */
    public long shardLength() {
        return paddedLength() / worldSize;
    }

    /** First flat element of rank {@code rank}'s shard. */
    public long shardOffset(int rank) {
        checkRank(rank);
        return rank * shardLength();
    }

    /** Rank {@code rank}'s shard in flat (padded) coordinates. */
    public Range shard(int rank) {
        return new Range(shardOffset(rank), shardLength());
    }

    /** The real elements of rank {@code rank}'s shard (the shard without padding; may be empty). */
    public Range ownedRange(int rank) {
        return shard(rank).intersect(new Range(0, length));
    }

    /** Padding elements at the end of rank {@code rank}'s shard. */
    public long shardPadding(int rank) {
        return shardLength() - ownedRange(rank).length();
    }

    /** The rank whose shard holds flat element {@code index} ({@code 0 <= index < paddedLength}). */
    public int ownerOf(long index) {
        if (index < 0 || index >= paddedLength()) {
            throw new IndexOutOfBoundsException("flat index " + index + " is outside [0, " + paddedLength() + ")");
        }
        return (int) (index / shardLength());
    }

    /**
     * The buckets of a sharded reduce-scatter or all-gather: consecutive pieces of the shard of at most
     * {@code max(alignment, bucketSize / worldSize rounded down to the alignment)} elements, so one bucket moves at
     * most {@code bucketSize} elements over all ranks (at least one aligned piece per rank). Pieces cover the whole
     * shard in order.
     *
     * @param bucketSize elements per bucket over all ranks ({@code reduce_bucket_size}, {@code allgather_bucket_size})
     */
    public List<BucketPiece> shardBuckets(long bucketSize) {
        if (bucketSize < 1) {
            throw new IllegalArgumentException("bucket size must be >= 1 element, got " + bucketSize);
        }
        long piece = Math.max(alignment, bucketSize / worldSize / alignment * alignment);
        List<BucketPiece> out = new ArrayList<>();
        for (long at = 0; at < shardLength(); at += piece) {
            out.add(new BucketPiece(out.size(), at, Math.min(piece, shardLength() - at)));
        }
        return out;
    }

    /**
     * Splits {@code range} into consecutive chunks of at most {@code bucketSize} elements (for bucketed all-reduce of a
     * contiguous range).
     */
    public static List<Range> chunks(Range range, long bucketSize) {
        if (bucketSize < 1) {
            throw new IllegalArgumentException("bucket size must be >= 1 element, got " + bucketSize);
        }
        List<Range> out = new ArrayList<>();
        for (long at = range.offset(); at < range.end(); at += bucketSize) {
            out.add(new Range(at, Math.min(bucketSize, range.end() - at)));
        }
        return out;
    }

    private void checkRank(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + worldSize + ")");
        }
    }
}
