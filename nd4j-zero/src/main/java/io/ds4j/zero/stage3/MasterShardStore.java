package io.ds4j.zero.stage3;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fp32 master of a shard in the ND4J array the optimizer updates in place, on the device: in fp32 without
 * offload it is the parameter shard itself (no second copy exists); in mixed precision it sits beside the 16-bit
 * shard the gathers read. Holds the {@code owned} real elements of the shard; the padding reads as zero and writes to
 * it are dropped. The ledger entry is the array's data buffer, length times element width.
 */
public final class MasterShardStore implements ShardStore {
    private final int length;
    private final INDArray owned;
    private final MemoryLedger.Allocation bytes;

    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, String label) {
        this(length, ownedLength, ledger, MemoryCategory.PARAMETERS, label);
    }

    /** As above, entered under {@code category} ({@code MASTER_WEIGHTS} when a 16-bit copy is the parameter). */
    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, MemoryCategory category, String label) {
        this.length = length;
        this.owned = ownedLength == 0 ? null : Nd4j.create(DataType.FLOAT, ownedLength);
        long held = owned == null ? 0 : owned.data().length() * owned.data().getElementSize();
        this.bytes = ledger.allocate(category, MemoryTier.DEVICE, held, label);
    }

    /** The owned elements (null when the shard is all padding): the array the optimizer updates in place. */
    public INDArray owned() {
        return owned;
    }

    private int ownedLength() {
        return owned == null ? 0 : (int) owned.length();
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void read(int from, float[] dst, int at, int n) {
        ShardStore.checkRange(length, from, dst.length, at, n);
        int real = Math.max(0, Math.min(n, ownedLength() - from));
        if (real > 0) {
            HostFloats.current(owned).get(from, dst, at, real);
        }
        Arrays.fill(dst, at + real, at + n, 0f);
    }

    /** Straight from the owned array's memory into {@code dst}: no heap copy. */
    @Override
    public void read(int from, java.nio.FloatBuffer dst, int at, int n) {
        ShardStore.checkRange(length, from, dst.capacity(), at, n);
        int real = Math.max(0, Math.min(n, ownedLength() - from));
        if (real > 0) {
            dst.put(at, HostFloats.current(owned), from, real);
        }
        for (int i = at + real; i < at + n; i++) {
            dst.put(i, 0f);
        }
    }

    @Override
    public void write(int from, float[] src, int at, int n) {
        ShardStore.checkRange(length, from, src.length, at, n);
        int real = Math.max(0, Math.min(n, ownedLength() - from));
        if (real > 0) {
            HostFloats.current(owned).put(from, src, at, real);
            HostFloats.written(owned);
        }
    }

    @Override
    public void close() {
        bytes.close();
    }
}
