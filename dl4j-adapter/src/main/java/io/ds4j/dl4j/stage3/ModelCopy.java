package io.ds4j.dl4j.stage3;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.stage3.MasterShards;
import io.ds4j.zero.stage3.OffloadedShardStore;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.TransientBuffers;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The whole model in and out of a stage-3 rank's shards, between steps (part of {@link RankBase}): the copy of every
 * full tensor into a network after fit ({@link #gatherInto}) and the checkpoint's shard export and import. It holds
 * no state of its own beyond the call: the rank's parameters and buffers, and the rank's trim of its pools to run
 * after a copy; the checkpoint calls are given the rank's shard optimizer.
 */
final class ModelCopy {
    private final Collectives comm;
    private final TransientBuffers buffers;
    private final ModuleBuffers moduleBuffers;
    private final List<PartitionedParam> params;
    private final Runnable trimPool;

    ModelCopy(Collectives comm, TransientBuffers buffers, ModuleBuffers moduleBuffers, List<PartitionedParam> params,
              Runnable trimPool) {
        this.comm = comm;
        this.buffers = buffers;
        this.moduleBuffers = moduleBuffers;
        this.params = params;
        this.trimPool = trimPool;
    }

    /**
     * Every parameter's full tensor in flat order, one all-gather each (every rank takes part); the rank given a
     * {@code target} (a network's flat FLOAT parameter vector) writes each into it, the others pass null. A rank holds
     * one native buffer of the largest parameter's size for the call, taken from the transient pool (a module buffer of
     * the step before, so a call after every step allocates nothing, unless {@code offload_param} keeps the pool
     * small) and reused by every parameter: its own fp32 master is read into its block, gathered in place and copied
     * into the target's range, native memory to native memory.
     */
    void gatherInto(INDArray target) {
        if (moduleBuffers.shared()) {
            try {
                moduleBuffers.gatherIntoShared(params, target);
            } finally {
                trimPool.run(); // within offload_param's budget, as below
            }
            return;
        }
        long at = 0;
        long largest = 0;
        for (PartitionedParam p : params) {
            largest = Math.max(largest, p.layout().paddedLength());
        }
        INDArray full = buffers.acquireNative((int) largest, "stage3 full tensor copied into the network", 0);
        try {
            for (PartitionedParam p : params) {
                INDArray view = full.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(0,
                        p.layout().paddedLength()));
                p.allGatherInto(comm, MasterShards.masterOf(p.store()), view); // fp32, also in mixed precision
                int n = p.spec().numel();
                if (target != null) {
                    INDArray range = target.get(NDArrayIndex.interval(at, at + n));
                    HostFloats.buffer(range).put(0, HostFloats.current(full), (int) view.offset(), n);
                    HostFloats.written(range);
                }
                at += n;
            }
        } finally {
            buffers.release(full);
            trimPool.run();
        }
    }

    /** Checkpoint export, between steps: this rank's pieces of the canonical vectors (copies). */
    io.ds4j.dl4j.checkpoint.RankShard exportShard(ShardOptimizer optimizer) {
        return new io.ds4j.dl4j.checkpoint.RankShard(comm.rank(), optimizer.exportState());
    }

    /**
     * Checkpoint import, between steps, on every rank at once: the owned masters and optimizer state from the whole
     * canonical vectors, then the shards the gathers read (a 16-bit copy is rounded from its master as after a step)
     * and the persistent parameters already gathered (one all-gather each, as after a step).
     */
    void importShard(ShardOptimizer optimizer, Map<String, float[]> full) {
        optimizer.importState(full);
        for (PartitionedParam p : params) {
            if (p.store() instanceof OffloadedShardStore o) {
                o.sync();
            }
        }
        for (PartitionedParam p : params) {
            if (p.isPersistent() && p.state() == io.ds4j.zero.stage3.ParamState.GATHERED) {
                p.refresh(comm);
            }
        }
    }
}
