package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A shard in a {@code float[]}, entered in the ledger as parameters on the given tier: {@link MemoryTier#DEVICE}
 * normally, {@link MemoryTier#HOST} for {@code offload_param.device: cpu} (on the CPU backend both are host memory;
 * the tier records where DeepSpeed would keep it).
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
        this.bytes = ledger.allocate(MemoryCategory.PARAMETERS, tier, 4L * length, label);
    }

    @Override
    public int length() {
        return data.length;
    }

    @Override
    public void read(float[] dst) {
        System.arraycopy(data, 0, dst, 0, data.length);
    }

    @Override
    public void write(float[] src) {
        System.arraycopy(src, 0, data, 0, data.length);
    }

    @Override
    public void close() {
        bytes.close();
    }
}
