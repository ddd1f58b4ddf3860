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
 *
 * <p><b>In place</b> ({@link #inPlace}): in fp32, when the ranks are threads of the process that holds the user's
 * network, without {@code offload_param} (or with {@code offload_param.device: cpu} on the CPU backend, where the
 * network's memory is host memory), the owned elements can be the network's own: a view of its flat parameter vector
 * at the rank's range of the tensor. The rank then allocates nothing for its parameter shard, the optimizer updates
 * the network's parameters where they are, and the N ranks' shards together are the network's one copy. The ledger
 * still enters the view's bytes (its length times 4) under {@code PARAMETERS}, on the device or the host: they are the
 * rank's parameters, held in memory; that the network's array holds them is said in the label.
 */
public final class MasterShardStore implements ShardStore {
    private final int length;
    private final INDArray owned;
    private final int base; // the owned elements' first index in their data buffer (a view's offset)
    private final MemoryTier tier;
    private final MemoryLedger.Allocation bytes;

    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, String label) {
        this(length, ownedLength, ledger, MemoryCategory.PARAMETERS, label);
    }

    /** As above, entered under {@code category} ({@code MASTER_WEIGHTS} when a 16-bit copy is the parameter). */
    MasterShardStore(int length, int ownedLength, MemoryLedger ledger, MemoryCategory category, String label) {
        this.length = length;
        this.owned = ownedLength == 0 ? null : Nd4j.create(DataType.FLOAT, ownedLength);
        this.base = 0;
        this.tier = MemoryTier.DEVICE;
        long held = owned == null ? 0 : owned.data().length() * owned.data().getElementSize();
        this.bytes = ledger.allocate(category, MemoryTier.DEVICE, held, label);
    }

    private MasterShardStore(int length, INDArray view, MemoryLedger ledger, MemoryTier tier, String label) {
        this.length = length;
        this.owned = view;
        this.base = view == null ? 0 : (int) view.offset();
        this.tier = tier;
        long held = view == null ? 0 : (long) Float.BYTES * view.length();
        this.bytes = ledger.allocate(MemoryCategory.PARAMETERS, tier, held, label);
    }

    /**
     * An fp32 parameter shard whose owned elements are {@code view}'s, in place (see the class documentation): no
     * memory is allocated, reads and writes go to {@code view}'s memory, and the optimizer updates it in place.
     *
     * @param length the padded shard length
     * @param view   the owned elements: a contiguous FLOAT vector of at most {@code length} elements (a view of the
     *               network's parameters), or null when the rank owns none of the tensor
     * @param tier   where the ledger enters them: the device, or the host ({@code offload_param.device: cpu} on the
     *               CPU backend, where the network's memory is host memory)
     * @throws IllegalArgumentException when {@code view} is not such a vector
     */
    public static MasterShardStore inPlace(int length, INDArray view, MemoryLedger ledger, MemoryTier tier,
                                           String label) {
        if (view != null && (view.dataType() != DataType.FLOAT || view.elementWiseStride() != 1 || !view.isVector()
                || view.length() > length)) {
            throw new IllegalArgumentException("an in-place shard needs a contiguous FLOAT vector of at most " + length
                    + " elements, got " + view.dataType() + " of shape " + Arrays.toString(view.shape())
                    + " with element-wise stride " + view.elementWiseStride());
        }
        return new MasterShardStore(length, view, ledger, tier, label);
    }

    /** The owned elements (null when the shard is all padding): the array the optimizer updates in place. */
    public INDArray owned() {
        return owned;
    }

    /**
     * Where the ledger enters the elements: the device, or the host for a shard in place in the network's host memory
     * ({@code offload_param.device: cpu} on the CPU backend).
     */
    public MemoryTier tier() {
        return tier;
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
            HostFloats.current(owned).get(base + from, dst, at, real);
        }
        Arrays.fill(dst, at + real, at + n, 0f);
    }

    /** Straight from the owned array's memory into {@code dst}: no heap copy. */
    @Override
    public void read(int from, java.nio.FloatBuffer dst, int at, int n) {
        ShardStore.checkRange(length, from, dst.capacity(), at, n);
        int real = Math.max(0, Math.min(n, ownedLength() - from));
        if (real > 0) {
            dst.put(at, HostFloats.current(owned), base + from, real);
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
            HostFloats.current(owned).put(base + from, src, at, real);
            HostFloats.written(owned);
        }
    }

    @Override
    public void close() {
        bytes.close();
    }
}
