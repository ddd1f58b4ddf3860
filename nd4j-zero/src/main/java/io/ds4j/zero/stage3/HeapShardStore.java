package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A shard in a {@code float[]}, entered in the ledger as parameters on the given tier: {@link MemoryTier#DEVICE}
 * normally, {@link MemoryTier#HOST} for {@code offload_param.device: cpu} (on the CPU backend both are host memory;
 * the tier records where DeepSpeed would keep it). The ledger entry is the array's own size,
 * {@code Float.BYTES x data.length}.
 */
public final class HeapShardStore implements ShardStore {
    private final float[] data;
    private final MemoryLedger.Allocation bytes;

    /**
     * @param length elements
     * @param ledger the rank's ledger
     * @param tier   where the shard lives
     * @param label  for the ledger
     */
    public HeapShardStore(int length, MemoryLedger ledger, MemoryTier tier, String label) {
        this.data = new float[length];
        this.bytes = ledger.allocate(MemoryCategory.PARAMETERS, tier, (long) Float.BYTES * data.length, label);
    }

    @Override
    public int length() {
        return data.length;
    }

    @Override
    public void read(int from, float[] dst, int at, int n) {
        ShardStore.checkRange(data.length, from, dst.length, at, n);
        System.arraycopy(data, from, dst, at, n);
    }

    /** Straight from the shard's array into {@code dst}. */
    @Override
    public void read(int from, java.nio.FloatBuffer dst, int at, int n) {
        ShardStore.checkRange(data.length, from, dst.capacity(), at, n);
        dst.put(at, data, from, n);
    }

    @Override
    public void write(int from, float[] src, int at, int n) {
        ShardStore.checkRange(data.length, from, src.length, at, n);
        System.arraycopy(src, at, data, from, n);
    }

    /** The array itself (owned elements first): the optimizer steps it in place ({@link MasterShards#heapArray}). */
    float[] array() {
        return data;
    }

    /** Bytes of the array that holds the shard. */
    public long heldBytes() {
        return (long) Float.BYTES * data.length;
    }

    @Override
    public void close() {
        bytes.close();
    }
}
