package io.ds4j.zero.stage3;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fp32 master shards of one rank's parameters, by parameter index in flat order, read and written by range of
 * owned elements. Where a master lives follows {@link ParamHome}: an ND4J array on the device
 * ({@link MasterShardStore}: no offload, or mixed precision), or, with {@code offload_param} in fp32, the parameter's
 * own store on the host or on disk, which is then the only copy of the shard.
 */
public final class MasterShards {
    private final List<ShardStore> masters = new ArrayList<>();

    private MasterShards() {
    }

    /** The masters of {@code params}: each store's master ({@link OffloadedShardStore}) or the store itself. */
    public static MasterShards of(List<PartitionedParam> params) {
        MasterShards m = new MasterShards();
        for (PartitionedParam p : params) {
            m.masters.add(masterOf(p.store()));
        }
        return m;
    }

    /** The fp32 master behind a parameter's store. */
    public static ShardStore masterOf(ShardStore store) {
        return store instanceof OffloadedShardStore o ? o.master() : store;
    }

    /** True when every master is an ND4J array the optimizer can update in place. */
    public boolean onDevice() {
        return masters.stream().allMatch(s -> s instanceof MasterShardStore);
    }

    /**
     * True when every master is a Java array on the host ({@link HeapShardStore}: {@code offload_param.device: cpu}
     * in fp32), which an optimizer can update in place ({@link #heapArray}).
     */
    public boolean onHeap() {
        return !masters.isEmpty() && masters.stream().allMatch(s -> s instanceof HeapShardStore);
    }

    /**
     * True when every master is an ND4J array in host memory that an optimizer can update in place: the shards kept
     * in place in the network's parameters with {@code offload_param.device: cpu} on the CPU backend
     * ({@link MasterShardStore#inPlace}, entered on the host). Such masters are also {@link #onDevice()} (ND4J
     * arrays).
     */
    public boolean inHostArrays() {
        return !masters.isEmpty() && masters.stream().allMatch(s -> s instanceof MasterShardStore m
                && m.tier() == io.ds4j.zero.ledger.MemoryTier.HOST);
    }

    /** Parameter {@code i}'s master array (only when {@link #onHeap()}), its owned elements first. */
    public float[] heapArray(int i) {
        return ((HeapShardStore) masters.get(i)).array();
    }

    /** Parameter {@code i}'s master as an ND4J array (only when {@link #onDevice()}); null when it owns nothing. */
    public INDArray array(int i) {
        return ((MasterShardStore) masters.get(i)).owned();
    }

    /** Copies owned elements {@code [from, from + n)} of parameter {@code i}'s master into {@code dst[at, at + n)}. */
    public void get(int i, int from, float[] dst, int at, int n) {
        masters.get(i).read(from, dst, at, n);
    }

    /** Replaces owned elements {@code [from, from + n)} of parameter {@code i}'s master by {@code src[at, at + n)}. */
    public void put(int i, int from, float[] src, int at, int n) {
        masters.get(i).write(from, src, at, n);
    }
}
