package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import java.nio.FloatBuffer;

/**
 * ZeRO-2's gradient reduction without a full-size gradient: pieces of a micro-batch's local gradient are copied into
 * one bucket of {@code reduce_bucket_size} elements as soon as they are final (layer by layer during the backward
 * pass, as DeepSpeed's IPG bucket), and a full bucket is reduced, each element to the rank that owns it, and added
 * into that rank's shard of the accumulated gradient. A rank holds its shard ({@code ceil(Psi/N)} elements, owned by
 * the caller) and the bucket; never a full-size local, reduced or accumulated gradient.
 *
 * <h2>Call order (every rank, in lockstep, with pieces of the same offsets and lengths)</h2>
 * For each micro-batch of the step: {@link #add} for every piece of the flat gradient (each element once), then
 * {@link #endMicroBatch()}. After the last micro-batch, {@link #finish()}: the shard then holds the mean over ranks of
 * the ranks' accumulated gradients for {@link ShardLayout#ownedRange} of this rank, the values (bit for bit) that
 * {@link Stage2Step#reduce()} gives. Pieces are cheapest in descending flat order (the order of a backward pass): a
 * bucket is one contiguous flat range, so a piece that does not extend it downwards flushes it first.
 *
 * <p>Elements of the shard that no piece reached in a step are zero.
 */
public final class GradientBuckets implements AutoCloseable {

    private final Collectives comm;
    private final ShardLayout layout;
    private final ReductionScaling scaling;
    private final FloatBuffer shard;
    private final Range owned;
    private final float[] bucket;
    private final MemoryLedger.Allocation allocation;
    private int count;    // elements in the bucket, at bucket[cap - count, cap)
    private long lo;      // flat index of bucket[cap - count]
    private int micro;    // micro-batches completed this step
    private boolean started;

    /**
     * @param comm the rank's collectives
     * @param layout the sharding of the flat vector
     * @param reduceBucketSize {@code reduce_bucket_size} in elements; the bucket holds
     *        {@code max(min(reduceBucketSize, Psi), worldSize)} (at least one element per rank, so that a gather can
     *        stage through it)
     * @param scaling {@code prescale_gradients} and {@code gradient_predivide_factor}
     * @param shard the accumulated gradient of this rank's owned range, indices {@code [0, ownedRange.length())}
     *        (absolute indexing; its position is not used)
     * @param ledger where the bucket is accounted (COMM_BUFFERS, device)
     */
    public GradientBuckets(Collectives comm, ShardLayout layout, long reduceBucketSize, ReductionScaling scaling,
                           FloatBuffer shard, MemoryLedger ledger) {
        io.ds4j.zero.config.ZeroBucketConfig.requireBucketSize("reduce_bucket_size", reduceBucketSize);
        this.comm = comm;
        this.layout = layout;
        this.scaling = scaling;
        this.shard = shard;
        this.owned = layout.ownedRange(comm.rank());
        if (shard.limit() < owned.length()) {
            throw new IllegalArgumentException("shard buffer holds " + shard.limit() + " elements but rank "
                    + comm.rank() + " owns " + owned.length());
        }
        long cap = Math.max(Math.min(reduceBucketSize, layout.length()), comm.worldSize());
        this.bucket = new float[(int) cap];
        this.allocation = ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, 4L * bucket.length,
                "ZeRO-2 gradient bucket (reduce_bucket_size, at most the model)");
    }

    /** {@link #add(long, FloatBuffer, int, int)} from a heap array. */
    public void add(long flatOffset, float[] src, int from, int length) {
        add(flatOffset, FloatBuffer.wrap(src), from, length);
    }

    /**
     * Adds a final piece of this micro-batch's local gradient: flat elements {@code [flatOffset, +length)} are
     * {@code src[from, +length)} (absolute indices). Full buckets are reduced on the way.
     */
    public void add(long flatOffset, FloatBuffer src, int from, int length) {
        if (flatOffset < 0 || flatOffset + length > layout.length() || length < 0) {
            throw new IllegalArgumentException("gradient piece [" + flatOffset + ", " + (flatOffset + length)
                    + ") is outside the flat vector [0, " + layout.length() + ")");
        }
        start();
        long end = flatOffset + length;
        int left = length;
        while (left > 0) {
            if (count > 0 && end != lo) {
                flush(); // not contiguous with the bucket: reduce what it holds first
            }
            if (count == bucket.length) {
                flush();
            }
            if (count == 0) {
                lo = end;
            }
            int take = Math.min(bucket.length - count, left);
            src.get(from + left - take, bucket, bucket.length - count - take, take);
            count += take;
            lo -= take;
            left -= take;
            end -= take;
        }
    }

    /** Reduces what the bucket still holds; the micro-batch's gradient is then in the shard. */
    public void endMicroBatch() {
        start();
        flush();
        micro++;
    }

    /**
     * Ends the step: the shard is multiplied by the factor after the sum (the mean over ranks) and the next
     * {@link #add} starts a new step.
     */
    public void finish() {
        if (micro == 0) {
            throw new IllegalStateException("finish() before any endMicroBatch(): nothing was reduced in this step");
        }
        float f = (float) scaling.afterSum(comm.worldSize());
        if (scaling.afterSum(comm.worldSize()) != 1.0) {
            for (int i = 0; i < owned.length(); i++) {
                shard.put(i, shard.get(i) * f);
            }
        }
        micro = 0;
        started = false;
    }

    /** The bucket array, idle between {@link #finish()} and the next {@link #add}: staging for a gather. */
    public float[] staging() {
        if (count != 0) {
            throw new IllegalStateException("the gradient bucket holds " + count + " unreduced elements");
        }
        return bucket;
    }

    /** @return elements of the bucket */
    public long bucketElements() {
        return bucket.length;
    }

    private void start() {
        if (!started) {
            for (int i = 0; i < owned.length(); i++) {
                shard.put(i, 0f);
            }
            started = true;
        }
    }

    /** Reduces the bucket's range {@code [lo, lo + count)}, each owner's part to its owner, in rank order. */
    private void flush() {
        if (count == 0) {
            return;
        }
        int base = bucket.length - count;
        StepSupport.scale(bucket, base, bucket.length, scaling.beforeSum(comm.worldSize()));
        long hi = lo + count;
        long s = layout.shardLength();
        for (int k = layout.ownerOf(lo); k <= layout.ownerOf(hi - 1); k++) {
            long from = Math.max(lo, k * s);
            long to = Math.min(hi, (k + 1) * s);
            int at = base + (int) (from - lo);
            comm.reduceSum(bucket, at, (int) (to - from), k);
            if (k == comm.rank()) {
                accumulate(at, (int) (from - owned.offset()), (int) (to - from));
            }
        }
        count = 0;
    }

    private void accumulate(int at, int shardIndex, int n) {
        for (int i = 0; i < n; i++) {
            float v = bucket[at + i];
            shard.put(shardIndex + i, micro == 0 ? v : shard.get(shardIndex + i) + v);
        }
    }

    /** Releases the bucket's ledger entry. */
    @Override
    public void close() {
        allocation.close();
    }
}
