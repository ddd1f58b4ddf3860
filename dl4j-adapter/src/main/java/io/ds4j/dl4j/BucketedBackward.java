package io.ds4j.dl4j;

import io.ds4j.dl4j.pass.GraphPass;
import io.ds4j.dl4j.pass.LayerHooks;
import io.ds4j.dl4j.pass.MlnPass;
import io.ds4j.precision.Overflow;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.step.GradientBuckets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Stage 2's backward pass: the replica's parameters stay fully resident, but its layers' gradient views are bound, one
 * layer at a time, to a scratch the size of the largest layer, and each layer's gradient goes into the rank's
 * {@link GradientBuckets} as soon as its backward returns (DeepSpeed's IPG buckets). The replica never gets DL4J's
 * flat gradient view of the whole model. The layer-by-layer driver is stage 3's ({@link MlnPass}, {@link GraphPass}).
 *
 * <p>Each layer's gradient becomes the stored gradient before it is bucketed, as the whole view did before: fp16/bf16
 * with FLOAT compute rounds {@code g / m} to the 16-bit format ({@link RankPrecision#store}); a HALF replica's
 * scratch is HALF and its values are cast exactly into a FLOAT scratch of the same length and checked for Inf/NaN.
 * Held: the scratch ({@code largest layer x} 4 B, or 2 B + 4 B for HALF), accounted in the ledger as COMM_BUFFERS,
 * and the pass's workspace (ND4J's temporaries inside the layer calls of one micro-batch, reused from pass to pass,
 * {@code io.ds4j.dl4j.pass.PassWorkspace}), accounted as OTHER at its size after each pass.
 */
final class BucketedBackward implements LayerHooks {

    /** A module whose gradient is bucketed: how to bind its gradient view, and its flat range. */
    private record Module(Consumer<INDArray> bind, long start, int length) { }

    private final Replica replica;
    private final GradientBuckets buckets;
    private final RankPrecision precision;
    private final Map<Integer, Module> modules = new HashMap<>();
    private final INDArray scratch;
    private final INDArray floats; // HALF replica: the FLOAT copy of a layer's gradient; else null
    private final List<MemoryLedger.Allocation> held = new ArrayList<>();
    private final MemoryLedger ledger;
    private MemoryLedger.Allocation workspace; // the pass's workspace, at its size after the last pass
    private final MlnPass mlnPass;
    private final GraphPass graphPass;
    private int microBatch;
    private int parts;
    private long examples;
    private boolean overflow;
    private boolean forwardDone;

    BucketedBackward(Replica replica, FlatLayout layout, GradientBuckets buckets, RankPrecision precision,
                     MemoryLedger ledger) {
        this.replica = replica;
        this.buckets = buckets;
        this.precision = precision;
        this.ledger = ledger;
        Model net = replica.net();
        long largest = 1;
        for (FlatLayout.Slot s : layout.slots()) {
            Module m = modules.get(id(net, s.layer()));
            long start = m == null ? s.start() : m.start();
            Module next = new Module(binder(s.layer()), start, (int) (s.end() - start));
            modules.put(id(net, s.layer()), next);
            largest = Math.max(largest, next.length());
        }
        DataType type = replica.half() ? DataType.HALF : DataType.FLOAT;
        this.scratch = Nd4j.create(type, 1, largest);
        this.floats = replica.half() ? Nd4j.create(DataType.FLOAT, 1, largest) : null;
        held.add(ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, bytes(scratch),
                "stage 2 gradient scratch (" + type + ", the largest layer's gradient)"));
        if (floats != null) {
            held.add(ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, bytes(floats),
                    "stage 2 FLOAT copy of a HALF layer's gradient (the largest layer)"));
        }
        if (net instanceof MultiLayerNetwork m) {
            this.mlnPass = new MlnPass(m.getLayerWiseConfigurations(), m.getnLayers());
            this.graphPass = null;
        } else {
            this.graphPass = new GraphPass((ComputationGraph) net);
            this.mlnPass = null;
        }
    }

    private static int id(Model net, Trainable t) {
        if (net instanceof MultiLayerNetwork m) {
            Layer[] layers = m.getLayers();
            for (int i = 0; i < layers.length; i++) {
                if (layers[i] == t) {
                    return i;
                }
            }
            throw new IllegalStateException("layer " + t + " is not a layer of the replica");
        }
        return ((GraphVertex) t).getVertexIndex();
    }

    private static Consumer<INDArray> binder(Trainable t) {
        if (t instanceof Layer l) {
            return l::setBackpropGradientsViewArray;
        }
        return ((GraphVertex) t)::setBackpropGradientsViewArray;
    }

    static long bytes(INDArray a) {
        return a == null || a.isEmpty() ? 0 : a.data().length() * a.dataType().width();
    }

    /**
     * Forward and backward of one micro-batch; its gradient ends up reduced into the rank's shard.
     *
     * @param size the micro-batch's examples
     * @param parts micro-batches in the step over all ranks, and {@code examples} in the global batch: fp16/bf16
     *        weigh the stored micro-batch mean by its share ({@link RankPrecision#weigh})
     * @return DL4J's score of the micro-batch
     */
    double run(MultiDataSet batch, long size, int parts, long examples) {
        this.microBatch = (int) size;
        this.parts = parts;
        this.examples = examples;
        this.forwardDone = false;
        double score = pass(batch);
        accountWorkspace();
        for (TrainingListener tl : replica.listeners()) {
            tl.onBackwardPass(replica.net());
        }
        return score;
    }

    private double pass(MultiDataSet batch) {
        Model net = replica.net();
        if (net instanceof MultiLayerNetwork m) {
            if (batch.numFeatureArrays() != 1 || batch.numLabelsArrays() != 1) {
                throw new IllegalArgumentException("a MultiLayerNetwork takes one features and one labels array, got "
                        + batch.numFeatureArrays() + " and " + batch.numLabelsArrays());
            }
            syncCounts(m.getLayers(), m.getIterationCount(), m.getEpochCount());
            m.setLayerMaskArrays(first(batch.getFeaturesMaskArrays()), first(batch.getLabelsMaskArrays()));
            try {
                return mlnPass.forwardBackward(inComputeType(batch.getFeatures(0)), batch.getLabels(0), this);
            } finally {
                m.clearLayerMaskArrays();
                for (Layer l : m.getLayers()) {
                    l.clear();
                }
            }
        }
        ComputationGraph g = (ComputationGraph) net;
        syncCounts(g.getLayers(), g.getIterationCount(), g.getEpochCount());
        g.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
        try {
            INDArray[] f = batch.getFeatures().clone();
            for (int i = 0; i < f.length; i++) {
                f[i] = inComputeType(f[i]);
            }
            return graphPass.forwardBackward(f, batch.getLabels(), this);
        } finally {
            g.clearLayerMaskArrays();
        }
    }

    /** DL4J's {@code synchronizeIterEpochCounts}: layers read the counts for dropout and weight-noise schedules. */
    private static void syncCounts(Layer[] layers, int iteration, int epoch) {
        for (Layer l : layers) {
            l.setIterationCount(iteration);
            l.setEpochCount(epoch);
        }
    }

    private INDArray inComputeType(INDArray a) {
        return a == null || a.dataType() == scratch.dataType() || !replica.half() ? a : a.castTo(scratch.dataType());
    }

    private static INDArray first(INDArray[] masks) {
        return masks == null ? null : masks[0];
    }

    /** @return whether a stored gradient held Inf or NaN since the last call; resets the flag */
    boolean takeOverflow() {
        boolean o = overflow;
        overflow = false;
        return o;
    }

    @Override
    public Layer enter(int id) {
        Model net = replica.net();
        return net instanceof MultiLayerNetwork m ? m.getLayer(id) : ((ComputationGraph) net).getVertices()[id]
                .getLayer();
    }

    @Override
    public <T> T backprop(int id, Supplier<T> body) {
        if (!forwardDone) {
            forwardDone = true;
            forwardPassDone();
        }
        Module m = modules.get(id);
        if (m != null) {
            INDArray view = front(scratch, m.length());
            view.assign(0);
            m.bind().accept(view);
        }
        T out = body.get();
        if (m != null) {
            bucket(m);
        }
        return out;
    }

    /**
     * DL4J's {@code onForwardPass} for the replica's listeners (rank 0's replica is the user's network; the ranks'
     * copies have none), as its {@code computeGradientAndScore()} calls it: the layer-by-layer pass keeps no list of
     * activations, so the listeners get an empty one (timing listeners such as {@code wall_clock_breakdown}'s work).
     */
    private void forwardPassDone() {
        for (TrainingListener tl : replica.listeners()) {
            if (replica.net() instanceof MultiLayerNetwork) {
                tl.onForwardPass(replica.net(), List.<INDArray>of());
            } else {
                tl.onForwardPass(replica.net(), Map.<String, INDArray>of());
            }
        }
    }

    /** The module's gradient, now final in the scratch, becomes the stored gradient and goes into the buckets. */
    private void bucket(Module m) {
        INDArray g;
        if (floats == null) {
            g = front(scratch, m.length());
            overflow |= precision.store(g, microBatch);
        } else {
            g = front(floats, m.length());
            g.assign(front(scratch, m.length())); // exact: every fp16 value is a float
            overflow |= Overflow.hasInfOrNaN(g);
        }
        precision.weigh(g, microBatch, parts, examples);
        buckets.add(m.start(), io.ds4j.zero.kernels.HostFloats.current(g), (int) g.offset(), m.length());
    }

    @Override
    public void leave(int id) {
        // parameters stay resident at stage 2: nothing to release
    }

    @Override
    public void endStep() {
        buckets.endMicroBatch();
    }

    /** The length of the largest data buffer any layer's gradient view references (tests: the scratch). */
    long largestReferencedGradientBuffer() {
        long max = 0;
        Model net = replica.net();
        Layer[] layers = net instanceof MultiLayerNetwork m ? m.getLayers() : ((ComputationGraph) net).getLayers();
        for (Layer l : layers) {
            INDArray v = l.getGradientsViewArray();
            max = Math.max(max, v == null ? 0 : v.data().length());
        }
        return max;
    }

    private static INDArray front(INDArray a, int n) {
        return a.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(0, n));
    }

    /** Records the pass's workspace at its current size (it is sized by the first pass, grows only if one needs it). */
    private void accountWorkspace() {
        long bytes = mlnPass != null ? mlnPass.workspaceBytes() : graphPass.workspaceBytes();
        if (workspace != null && workspace.bytes() == bytes) {
            return;
        }
        if (workspace != null) {
            workspace.close(); // before the new size is recorded: the workspace reallocated, it never held both
        }
        workspace = ledger.allocate(MemoryCategory.OTHER, MemoryTier.DEVICE, bytes,
                "stage 2 pass workspace (ND4J's temporaries in the layer calls)");
    }

    /** Frees the pass's workspace and releases the ledger entries of the scratch and the workspace. */
    void close() {
        if (mlnPass != null) {
            mlnPass.close();
        } else {
            graphPass.close();
        }
        held.forEach(MemoryLedger.Allocation::close);
        if (workspace != null) {
            workspace.close();
        }
    }
}
