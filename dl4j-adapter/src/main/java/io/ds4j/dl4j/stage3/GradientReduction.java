package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.RankPrecision;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.Held;
import io.ds4j.zero.stage3.TransientBuffers;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stage-3 rank's gradient path (part of {@link RankBase}): the gradient scratch every module's backward writes its
 * gradients into (the largest layer's size, in the compute type) and its ledger entry, which module's gradient waits
 * in it, where each module's parameters start in the rank's parameter list, and the reduce-scatter of a waiting
 * gradient into the shard optimizer, run once the module's gathered parameters are released.
 */
final class GradientReduction {
    private final Collectives comm;
    private final TransientBuffers buffers;
    private final RankPrecision precision;
    private final Map<Integer, PartitionedLayer> modules; // the rank's, filled as it partitions its layers
    private final Map<Integer, Integer> firstParam = new HashMap<>();
    private final INDArray gradScratch;
    private final MemoryLedger.Allocation gradScratchBytes;
    private ShardOptimizer optimizer;
    private int pendingGradient = -1; // the module whose gradient waits in the scratch for leave(), or -1

    GradientReduction(Collectives comm, TransientBuffers buffers, RankPrecision precision,
                      Map<Integer, PartitionedLayer> modules, MemoryLedger ledger, DataType type, long n) {
        this.comm = comm;
        this.buffers = buffers;
        this.precision = precision;
        this.modules = modules;
        gradScratch = Nd4j.create(type, 1, n);
        gradScratchBytes = ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, Held.bytes(gradScratch),
                "stage3 gradient scratch (" + type + " gradients of the largest layer)");
    }

    /** Module {@code id}'s parameters start at index {@code index} of the rank's parameter list. */
    void firstParam(int id, int index) {
        firstParam.put(id, index);
    }

    /** The shard optimizer the gradient shards go to (created once every module is partitioned). */
    void optimizer(ShardOptimizer optimizer) {
        this.optimizer = optimizer;
    }

    /** Binds the gradient views of module {@code id} (if it has a layer) to the scratch and runs {@code body}. */
    <T> T backprop(int id, java.util.function.Supplier<T> body) {
        PartitionedLayer pl = modules.get(id);
        if (pl != null) {
            pl.bindGradients(gradScratch);
        }
        T out = body.get();
        pendingGradient = pl == null ? -1 : id;
        return out;
    }

    /** Reduce-scatters module {@code id}'s gradient if its backward just ran (after its parameters are released). */
    void leave(int id) {
        if (pendingGradient == id) {
            reduceScatterPending();
        }
    }

    /** At the end of the pass: a backward without its leave (not done by the passes) is reduced all the same. */
    void endStep() {
        if (pendingGradient >= 0) {
            reduceScatterPending();
        }
    }

    private void reduceScatterPending() {
        int id = pendingGradient;
        pendingGradient = -1;
        int f = firstParam.get(id);
        modules.get(id).reduceScatter(gradScratch, comm, buffers, precision.storeIsIdentity() ? null : precision::store,
                new PartitionedLayer.GradientSink() {
                    @Override
                    public void accept(FloatBuffer shard, int i) {
                        optimizer.accept(f + i, shard);
                    }

                    @Override
                    public INDArray target(int i, int length) {
                        return optimizer.target(f + i, length);
                    }

                    @Override
                    public void filled(int i) {
                        optimizer.filled(f + i);
                    }
                });
    }

    /** Gives the scratch's ledger entry back. */
    void close() {
        gradScratchBytes.close();
    }
}
