package io.ds4j.dl4j.stage3;

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
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of a stage-3 {@link MultiLayerNetwork}: DL4J layers instantiated on a shared compute scratch (never on a
 * full flat parameter vector), their partitioned parameters, the coordinator that gathers them in trace order, and
 * the shard optimizer. Drives forward and backward layer by layer itself, as {@code MultiLayerNetwork}'s
 * {@code computeGradientAndScore()} does, without workspaces.
 *
 * <p>Trace: layers 0..L-1 forward (the output layer's forward, score and backward are one step, as in DL4J), then
 * layers L-2..0 backward.
 */
final class Stage3Rank {
    private final Collectives comm;
    private final MemoryLedger ledger;
    private final TransientBuffers buffers;
    private final MultiLayerConfiguration conf;
    private final List<PartitionedLayer> layers = new ArrayList<>();
    private final List<PartitionedParam> params = new ArrayList<>();
    private final ParamCoordinator coordinator;
    private final ShardOptimizer optimizer;
    private final INDArray paramScratch;
    private final INDArray gradScratch;
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

    Stage3Rank(MultiLayerNetwork source, FlatLayout layout, ZeroStage3Config knobs, Collectives comm) {
        this.comm = comm;
        this.ledger = new MemoryLedger(comm.rank());
        this.buffers = new TransientBuffers(ledger);
        this.conf = source.getLayerWiseConfigurations().clone();
        int maxLayer = 1;
        for (int i = 0; i < source.getnLayers(); i++) {
            maxLayer = (int) Math.max(maxLayer, source.getLayer(i).numParams());
        }
        paramScratch = Nd4j.create(DataType.FLOAT, 1, maxLayer);
        gradScratch = Nd4j.create(DataType.FLOAT, 1, maxLayer);
        ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, 8L * maxLayer, "stage3 compute scratch");
        List<ModuleParams> modules = buildLayers(source, layout);
        Persistence.mark(params, knobs.paramPersistenceThreshold(), knobs.modelPersistenceThreshold());
        List<ModuleParams> trace = new ArrayList<>(modules);
        for (int i = modules.size() - 2; i >= 0; i--) {
            trace.add(modules.get(i));
        }
        this.coordinator = new ParamCoordinator(trace, comm, buffers, knobs);
        this.optimizer = new ShardOptimizer(layout, params, ledger, comm.rank());
    }

    private List<ModuleParams> buildLayers(MultiLayerNetwork source, FlatLayout layout) {
        List<ModuleParams> modules = new ArrayList<>();
        for (int i = 0; i < source.getnLayers(); i++) {
            Layer user = source.getLayer(i);
            NeuralNetConfiguration c = conf.getConf(i);
            long n = user.numParams();
            INDArray view = n == 0 ? null : paramScratch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 0,
                    true), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n));
            Layer mine = c.getLayer().instantiate(c, List.of(), i, view, false, DataType.FLOAT);
            List<PartitionedParam> own = new ArrayList<>();
            List<FlatLayout.Slot> slots = new ArrayList<>();
            float[] values = n == 0 ? new float[0] : user.params().dup().reshape(n).toFloatVector();
            long layerStart = -1;
            for (FlatLayout.Slot s : layout.slots()) {
                if (s.layer() != user) {
                    continue;
                }
                layerStart = layerStart < 0 ? s.start() : layerStart;
                PartitionedParam p = new PartitionedParam(new ParamSpec(params.size(), "layer " + i + " ("
                        + c.getLayer().getLayerName() + ") " + s.name(), (int) (s.end() - s.start())), comm, ledger);
                p.loadShard(values, (int) (s.start() - layerStart));
                params.add(p);
                own.add(p);
                slots.add(s);
            }
            layers.add(new PartitionedLayer(mine, c, own, slots));
            modules.add(new ModuleParams(i, "layer " + i, own));
        }
        return modules;
    }

    /**
     * Forward and backward of this rank's micro-batch; the reduced gradient shards are ready afterwards.
     *
     * @return DL4J's score of the micro-batch (mean loss plus regularization)
     */
    double forwardBackward(INDArray features, INDArray labels) {
        int mb = (int) features.size(0);
        int last = layers.size() - 1;
        INDArray a = features;
        double reg = 0;
        for (int i = 0; i < last; i++) {
            PartitionedLayer pl = enter(i, mb);
            a = pl.layer().activate(preProcess(i, a, mb), true, mgr);
            reg += pl.layer().calcRegularizationScore(true);
            coordinator.release(i);
        }
        PartitionedLayer out = enter(last, mb);
        out.layer().setInput(preProcess(last, a, mb), mgr);
        ((IOutputLayer) out.layer()).setLabels(labels);
        INDArray eps = backward(last, null, mb);
        reg += out.layer().calcRegularizationScore(true);
        double score = ((IOutputLayer) out.layer()).computeScore(reg, true, mgr);
        coordinator.release(last);
        for (int i = last - 1; i >= 0; i--) {
            enter(i, mb);
            eps = backward(i, eps, mb);
            coordinator.release(i);
        }
        coordinator.endStep();
        return score;
    }

    private PartitionedLayer enter(int i, int mb) {
        coordinator.fetch(i);
        PartitionedLayer pl = layers.get(i);
        pl.bind(paramScratch);
        pl.layer().setInputMiniBatchSize(mb);
        return pl;
    }

    private INDArray backward(int i, INDArray eps, int mb) {
        PartitionedLayer pl = layers.get(i);
        pl.bindGradients(gradScratch);
        Pair<Gradient, INDArray> p = pl.layer().backpropGradient(eps, mgr);
        pl.reduceScatter(gradScratch, comm, buffers, optimizer.shardGrads().subList(first(i), first(i)
                + pl.params().size()));
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null || p.getSecond() == null ? p.getSecond() : pre.backprop(p.getSecond(), mb, mgr);
    }

    private int first(int layer) {
        int k = 0;
        for (int i = 0; i < layer; i++) {
            k += layers.get(i).params().size();
        }
        return k;
    }

    private INDArray preProcess(int i, INDArray a, int mb) {
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null ? a : pre.preProcess(a, mb, mgr);
    }

    /** Runs the optimizer on the shards and re-gathers the persistent parameters. */
    void step(int globalBatch, int iteration, int epoch) {
        optimizer.step(globalBatch, comm.worldSize(), iteration, epoch);
        for (PartitionedParam p : params) {
            if (p.isPersistent()) {
                p.refresh(comm);
            }
        }
    }

    /** Every parameter's full tensor in flat order (one all-gather each: saving a full model). */
    float[] gatherAll() {
        int total = params.stream().mapToInt(p -> p.spec().numel()).sum();
        float[] out = new float[total];
        int at = 0;
        for (PartitionedParam p : params) {
            float[] full = new float[(int) p.layout().paddedLength()];
            int s = p.shard().length;
            comm.allGather(p.shard(), 0, full, 0, s, s);
            System.arraycopy(full, 0, out, at, p.spec().numel());
            at += p.spec().numel();
        }
        return out;
    }

    MemoryLedger ledger() {
        return ledger;
    }

    ParamCoordinator coordinator() {
        return coordinator;
    }

    List<PartitionedParam> params() {
        return params;
    }
}
