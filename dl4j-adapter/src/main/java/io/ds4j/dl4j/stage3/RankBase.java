package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.zero.stage3.OffloadedShardStore;
import io.ds4j.zero.stage3.Held;
import io.ds4j.zero.stage3.ParamHome;
import io.ds4j.precision.Precision;
import io.ds4j.dl4j.precision.HalfCodec;
import io.ds4j.dl4j.RankPrecision;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.ModuleParams;
import io.ds4j.zero.stage3.ParamCoordinator;
import io.ds4j.zero.stage3.ParamSpec;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.Persistence;
import io.ds4j.zero.stage3.TransientBuffers;
import io.ds4j.zero.step.GradientClipping;
import io.ds4j.zero.kernels.HostFloats;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What every stage-3 rank shares, whatever the network type: the ledger and transient buffers, the partitioned
 * parameters, the compute scratch, the coordinator and the shard optimizer. Subclasses build the layers (through
 * {@link #partition}) and drive forward and backward, calling {@link #enter}, {@link #backprop} and
 * {@link #leave} around every module in trace order.
 */
abstract class RankBase implements io.ds4j.dl4j.pass.LayerHooks {
    protected final Collectives comm;
    protected final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    private final MemoryLedger ledger;
    private final TransientBuffers buffers;
    private final List<PartitionedParam> params = new ArrayList<>();
    private final Map<Integer, PartitionedLayer> modules = new HashMap<>();
    private INDArray paramScratch; // null when every layer computes on its module buffer
    private final MemoryLedger.Allocation paramScratchBytes;
    private final GradientReduction gradients;
    private final ModuleBuffers moduleBuffers;
    private final ModelCopy copy;
    private ParamCoordinator coordinator;
    private ShardOptimizer optimizer;
    private final ParamHome home;
    private final RankPrecision precision;
    private final PiecewiseShardUpdate fused;
    private final INDArray network; // in-place mode: the network's flat parameters; else null

    /**
     * What a rank is built with besides the network.
     *
     * @param comm      the rank's group
     * @param home      where its parameter shards live
     * @param precision its mixed-precision state
     * @param optimizer the DeepSpeed optimizer, or null for the network's DL4J updaters
     * @param shared    the module buffers shared by the process's ranks (ranks as threads), or null for the rank's own
     * @param network   in-place mode: the network's flat parameter vector, where the rank keeps its shards (and,
     *                  with {@code shared}, where the shared module buffers are; see {@code Stage3Trainer}); null:
     *                  shards of its own
     */
    record RankEnv(Collectives comm, ParamHome home, RankPrecision precision, PiecewiseShardUpdate optimizer,
                   SharedModuleMemory shared, INDArray network) { }

    RankBase(RankEnv env, long largestLayer) {
        this.comm = env.comm();
        this.precision = env.precision();
        this.fused = env.optimizer();
        Precision stored = precision.parameters();
        this.home = env.home().format(stored == Precision.FP32 ? null : HalfCodec.of(stored));
        if (env.network() != null && !home.allowsInPlace()) {
            throw new IllegalStateException("rank " + env.comm().rank() + ": in place in the network's parameters"
                    + " needs fp32 and no nvme offload_param");
        }
        this.network = env.network();
        this.ledger = new MemoryLedger(comm.rank());
        comm.accountIn(ledger); // the transport's staging (UCX), as it is allocated
        this.buffers = new TransientBuffers(ledger);
        long n = Math.max(1, largestLayer);
        DataType type = computeType();
        paramScratch = Nd4j.create(type, 1, n);
        paramScratchBytes = ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, Held.bytes(paramScratch),
                "stage3 compute scratch (" + type + " parameters of the largest layer)");
        gradients = new GradientReduction(comm, buffers, precision, modules, ledger, type, n);
        if (env.shared() != null) {
            env.shared().register(comm.rank(), ledger);
        }
        moduleBuffers = new ModuleBuffers(buffers, env.shared(), comm);
        copy = new ModelCopy(comm, buffers, moduleBuffers, params, this::trimPool);
    }

    /** The type the rank's layers compute in: HALF with HALF compute, else FLOAT. */
    protected final DataType computeType() {
        return precision.halfCompute() ? DataType.HALF : DataType.FLOAT;
    }

    /** The micro-batch's arrays in the compute type (a HALF layer takes HALF inputs); null stays null. */
    protected final INDArray[] inComputeType(INDArray[] arrays) {
        if (arrays == null || computeType() == DataType.FLOAT) {
            return arrays;
        }
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = arrays[i] == null || arrays[i].dataType() == computeType() ? arrays[i]
                    : arrays[i].castTo(computeType());
        }
        return out;
    }

    /** A view of the front of the parameter scratch, to instantiate a layer of {@code n} parameters on. */
    protected INDArray scratchView(long n) {
        return n == 0 ? null : paramScratch.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(0, n));
    }

    /**
     * Partitions the parameters of {@code user} (the user's layer or vertex) for module {@code id}, run by
     * {@code mine} (this rank's copy, already bound to the scratch).
     */
    protected ModuleParams partition(int id, String name, Trainable user, Layer mine, FlatLayout layout) {
        long n = user.numParams();
        if (network != null && n > 0) {
            return partition(id, name, user, null, inPlaceView(user, name), mine, layout);
        }
        FloatBuffer values = n == 0 ? FloatBuffer.allocate(0) : paramsBuffer(user.params().reshape(n));
        return partition(id, name, user, values, mine, layout);
    }

    /**
     * In-place mode: {@code user}'s parameters as a {@code [1, n]} view of the network's flat vector (the memory the
     * rank's shards of it and the module's shared buffer are).
     *
     * @throws IllegalStateException when they are not a view of it (the trainer checks every layer first)
     */
    private INDArray inPlaceView(Trainable user, String name) {
        INDArray v = user.params().reshape(1, user.numParams());
        // a view's data buffer is an object of its own over the same memory (base address; offsets are absolute)
        if (v.data().address() != network.data().address() || v.elementWiseStride() != 1
                || v.dataType() != DataType.FLOAT) {
            throw new IllegalStateException(name + ": its parameters are not a contiguous FLOAT view of the network's"
                    + " flat parameter vector, so the rank cannot keep its shards of them in place");
        }
        return v;
    }

    /** The layer's parameter values in place (its view of the network's flat vector), or a FLOAT copy of them. */
    private static FloatBuffer paramsBuffer(INDArray v) {
        boolean inPlace = v.dataType() == DataType.FLOAT && v.elementWiseStride() == 1;
        return HostFloats.buffer(inPlace ? v : v.castTo(DataType.FLOAT).dup('c'));
    }

    /**
     * As {@link #partition(int, String, Trainable, Layer, FlatLayout)} with the layer's parameter values given
     * ({@code values}, in the layer's flat order from index 0; copied a tile at a time, never whole) instead of read
     * from {@code user}, which then only names the layout's slots (partitioned construction: see
     * {@link io.ds4j.dl4j.PartitionedConstruction}).
     */
    protected ModuleParams partition(int id, String name, Trainable user, FloatBuffer values, Layer mine,
                                     FlatLayout layout) {
        return partition(id, name, user, values, null, mine, layout);
    }

    /**
     * The partition itself: each tensor's shard gets {@code values}' piece, or, in place ({@code inPlace}: the
     * module's {@code [1, n]} view of the network's parameters, {@code values} null), is that view's owned range of
     * the tensor, and the module's shared buffer is the view itself.
     */
    private ModuleParams partition(int id, String name, Trainable user, FloatBuffer values, INDArray inPlace,
                                   Layer mine, FlatLayout layout) {
        INDArray flat = inPlace == null ? null : inPlace.reshape(inPlace.length());
        List<PartitionedParam> own = new ArrayList<>();
        List<FlatLayout.Slot> slots = new ArrayList<>();
        long layerStart = -1;
        gradients.firstParam(id, params.size());
        for (FlatLayout.Slot s : layout.slots()) {
            if (s.layer() != user) {
                continue;
            }
            layerStart = layerStart < 0 ? s.start() : layerStart;
            ParamSpec spec = new ParamSpec(params.size(), name + " " + s.name(), (int) (s.end() - s.start()));
            int len = PartitionedParam.shardLength(spec, comm);
            var range = io.ds4j.zero.shard.ShardLayout.of(spec.numel(), comm.worldSize()).ownedRange(comm.rank());
            int owned = (int) range.length();
            PartitionedParam p;
            if (flat == null) {
                p = new PartitionedParam(spec, comm, home.store(len, owned, ledger, "stage3 shard " + spec.name()));
                p.loadShard(values, (int) (s.start() - layerStart));
            } else { // the owned elements where they are: nothing to load
                long from = s.start() - layerStart + range.offset();
                p = new PartitionedParam(spec, comm, home.storeInPlace(len, owned == 0 ? null
                        : flat.get(NDArrayIndex.interval(from, from + owned)), ledger, "stage3 shard " + spec.name()));
            }
            params.add(p);
            own.add(p);
            slots.add(s);
        }
        if (mine != null) {
            PartitionedLayer pl = new PartitionedLayer(mine, mine.conf(), own, slots);
            modules.put(id, pl);
            if (pl.computesInPlace()) { // the network's view is the module's memory when the ranks share it
                moduleBuffers.place(id, pl, name, moduleBuffers.shared() ? inPlace : null);
            } // else (a SameDiff layer) its tensors are gathered from the shards, in place or not, into pooled buffers
        }
        return new ModuleParams(id, name, own);
    }

    /** Marks persistence and creates the coordinator over {@code trace} and the shard optimizer. */
    protected void finish(List<ModuleParams> trace, FlatLayout layout, ZeroStage3Config knobs) {
        Persistence.mark(params, knobs.paramPersistenceThreshold(), knobs.modelPersistenceThreshold());
        coordinator = new ParamCoordinator(trace, comm, buffers, knobs);
        optimizer = new ShardOptimizer(layout, params, ledger,
                new ShardOptimizer.Owner(comm.rank(), knobs.subGroupSize()), fused);
        gradients.optimizer(optimizer);
        precision.requireSupported(layout);
        precision.install(lossLayers());
        if (modules.values().stream().allMatch(PartitionedLayer::computesInPlace)) {
            // every layer computes on its module buffer: the parameter scratch, which the layers were instantiated on
            // and which none of them reads before its first bind, is freed now
            paramScratchBytes.close();
            paramScratch.close();
            paramScratch = null;
        }
    }

    /** The rank's own runtime layers that may carry a loss function (fp16 installs its scaled loss there). */
    protected Layer[] lossLayers() {
        return modules.values().stream().map(PartitionedLayer::layer).toArray(Layer[]::new);
    }

    /** Fetches module {@code id} and binds its layer (if any) to the gathered parameters. */
    @Override
    public Layer enter(int id) {
        coordinator.fetch(id);
        PartitionedLayer pl = modules.get(id);
        if (pl == null) {
            return null;
        }
        if (pl.computesInPlace()) {
            // held while the module runs, given back by leave(); a shared buffer got its persistent parameters
            pl.bindInPlace(moduleBuffers.hold(pl), moduleBuffers.shared());
        } else {
            pl.bind(paramScratch);
        }
        if (entered != null) {
            entered.accept(pl.layer(), id);
        }
        return pl.layer();
    }

    /** For tests: called with each module's id and bound layer as the module is entered, on the rank's thread. */
    private java.util.function.ObjIntConsumer<Layer> entered;

    void onEnter(java.util.function.ObjIntConsumer<Layer> probe) {
        this.entered = probe;
    }

    /**
     * Binds the gradient views of module {@code id} and runs {@code body}; the gradient, left in the gradient scratch,
     * is reduce-scattered by {@link #leave}, after the module's gathered parameters are released.
     */
    @Override
    public <T> T backprop(int id, java.util.function.Supplier<T> body) {
        return gradients.backprop(id, body);
    }

    /**
     * Releases module {@code id} as the coordinator's rules say, then reduce-scatters its gradient if its backward
     * just ran: the gathered parameters (no longer needed once the backward has run) are gone before the
     * reduce-scatter's buffers are taken, so the two never add up in memory.
     */
    @Override
    public void leave(int id) {
        coordinator.release(id);
        PartitionedLayer pl = modules.get(id);
        if (pl != null && pl.computesInPlace()) {
            moduleBuffers.unhold(pl);
        }
        gradients.leave(id);
    }

    /** Ends the forward-backward pass. */
    @Override
    public void endStep() {
        gradients.endStep(); // a backward without its leave (not done by the passes): reduce it all the same
        coordinator.endStep();
        trimPool(); // the released buffers stay pooled for the next pass, within offload_param's budget
    }

    /** Keeps at most what {@code offload_param} allows pooled between steps (no limit without it). */
    private void trimPool() {
        long limit = home.pooledBytesBetweenSteps();
        buffers.trimKept(limit);
        int n = comm.worldSize(); // the shared buffers stand for the N ranks' own: N budgets
        moduleBuffers.trimShared(limit > Long.MAX_VALUE / n ? Long.MAX_VALUE : limit * n);
    }

    /** Forward and backward of this rank's micro-batch; returns DL4J's score of it. */
    abstract double forwardBackward(INDArray[] features, INDArray[] labels);

    /**
     * {@link #forwardBackward} with the micro-batch announced to the precision state (size, loss scale, and its
     * {@code weight}, the share of the global batch: see {@link io.ds4j.dl4j.precision.ExampleWeight}).
     */
    double run(INDArray[] features, INDArray[] labels, double weight) {
        precision.beginMicroBatch((int) features[0].size(0), weight);
        return forwardBackward(inComputeType(features), labels);
    }

    /**
     * Runs the optimizer on the shards and re-gathers the persistent parameters.
     *
     * @param globalBatch   examples behind the accumulated gradient, over all ranks and micro-batches
     * @param contributions micro-batches summed into it, over all ranks
     * @return the global gradient norm before clipping
     */
    double step(int globalBatch, int contributions, GradientClipping clipping, int iteration, int epoch) {
        boolean sharedInPlace = network != null && moduleBuffers.shared(); // the ranks compute on the network
        if (sharedInPlace) {
            comm.barrier(); // in place: no rank still computes on the parameters this rank's step writes
        }
        double norm = optimizer.step(globalBatch, contributions,
                new ShardOptimizer.StepContext(comm, clipping, iteration, epoch, precision));
        if (precision.lastSkipped()) {
            return norm; // overflow (16-bit, never in place): no parameter changed, nothing to copy or re-gather
        }
        float[] tile = null; // one tile for every shard's sync, not one each
        for (PartitionedParam p : params) {
            if (p.store() instanceof OffloadedShardStore o) {
                tile = tile != null ? tile : new float[OffloadedShardStore.SYNC_TILE];
                o.sync(tile); // the offloaded copy the gathers read gets the updated master
            }
        }
        for (PartitionedParam p : params) {
            if (p.isPersistent()) {
                p.refresh(comm);
            }
        }
        if (sharedInPlace) {
            comm.barrier(); // every rank's writes are done before any rank computes on them
        }
        return norm;
    }

    /** Whether the rank keeps its shards in place in the network's parameters (see {@code Stage3Trainer}). */
    boolean inPlace() {
        return network != null;
    }

    /** Every parameter's full tensor into {@code target} (see {@link ModelCopy#gatherInto}). */
    void gatherInto(INDArray target) {
        copy.gatherInto(target);
    }

    /** Checkpoint export, between steps (see {@link ModelCopy#exportShard}). */
    io.ds4j.dl4j.checkpoint.RankShard exportShard() {
        return copy.exportShard(optimizer);
    }

    /** Checkpoint import, between steps, on every rank at once (see {@link ModelCopy#importShard}). */
    void importShard(Map<String, float[]> full) {
        copy.importShard(optimizer, full);
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    int stateWords() {
        return optimizer.stateWords();
    }

    /**
     * The length of the largest ND4J data buffer any of this rank's layers references through its parameter table or
     * flattened parameter view, or the network itself (for tests: it must be the scratch, never a flat vector of the
     * whole model).
     */
    long largestReferencedParameterBuffer() {
        long max = 0;
        for (PartitionedLayer pl : modules.values()) {
            Layer l = pl.layer();
            if (l.params() != null) {
                max = Math.max(max, l.params().data().length());
            }
            for (INDArray a : l.paramTable().values()) {
                max = Math.max(max, a.data().length());
            }
        }
        return max;
    }

    MemoryLedger ledger() {
        return ledger;
    }

    /**
     * Bytes of released transient buffers pooled for reuse now (between steps: the pool the next step takes from),
     * with the rank's ledger share of the module buffers its process's ranks share and keep.
     */
    long pooledBytes() {
        return buffers.keptBytes() + moduleBuffers.sharedKeptShare();
    }

    /** Where the shards live (offload_param). */
    ParamHome home() {
        return home;
    }

    /** Frees the pass's workspace (the layer-by-layer pass's, {@code io.ds4j.dl4j.pass}). */
    abstract void closePass();

    /** Frees the pass's workspace, every shard and buffer, and deletes the rank's offload files. */
    void close() {
        closePass();
        precision.close();
        if (optimizer != null) {
            optimizer.close();
        }
        try {
            for (PartitionedParam p : params) {
                p.free(buffers);
            }
            moduleBuffers.close();
            buffers.dropKept();
        } finally {
            paramScratchBytes.close();
            gradients.close();
            home.close();
        }
    }

    /** The rank's mixed-precision state. */
    RankPrecision precision() {
        return precision;
    }

    ParamCoordinator coordinator() {
        return coordinator;
    }

    List<PartitionedParam> params() {
        return params;
    }
}
