package io.ds4j.dl4j.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.ShardStore;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * fp32 training: the shard lives in the ND4J array the optimizer updates (the partitioned parameters are the fp32
 * master, so no second copy exists). Holds the {@code owned} real elements of the shard; the padding reads as zero.
 */
final class MasterShardStore implements ShardStore {
    private final int length;
    private final INDArray owned;
    private final MemoryLedger.Allocation bytes;

    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, String label) {
        this(length, ownedLength, ledger, MemoryCategory.PARAMETERS, label);
    }

    /** As above, entered under {@code category} ({@code MASTER_WEIGHTS} when an offloaded copy is the parameter). */
    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, MemoryCategory category, String label) {
        this.length = length;
        this.owned = ownedLength == 0 ? null : Nd4j.create(DataType.FLOAT, ownedLength);
        this.bytes = ledger.allocate(category, MemoryTier.DEVICE, 4L * ownedLength, label);
    }

    /** The master behind a parameter's store: the store itself, or the master of an offloaded one. */
    static MasterShardStore of(io.ds4j.zero.stage3.ShardStore store) {
        return store instanceof OffloadedShardStore o ? o.master() : (MasterShardStore) store;
    }

    /** The owned elements (null when the shard is all padding): the array the optimizer updates in place. */
    INDArray owned() {
        return owned;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void read(float[] dst) {
        int n = owned == null ? 0 : (int) owned.length();
        if (n > 0) {
            FloatBuffer b = HostView.of(owned);
            b.position(0);
            b.get(dst, 0, n);
        }
        Arrays.fill(dst, n, length, 0f);
    }

    @Override
    public void write(float[] src) {
        if (owned != null) {
            FloatBuffer b = HostView.of(owned);
            b.position(0);
            b.put(src, 0, (int) owned.length());
            HostView.written(owned);
        }
    }

    @Override
    public void close() {
        bytes.close();
    }
}
