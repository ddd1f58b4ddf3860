package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.stage3.ModuleParams;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank of a stage-3 {@link ComputationGraph}, driven vertex by vertex in topological order as
 * {@code ComputationGraph.computeGradientAndScore()} drives it (inputs handed along the vertex edges, output layers
 * skipped in the forward pass, epsilons summed in DL4J's order for vertices feeding several others), without
 * workspaces.
 *
 * <p>DL4J builds a graph's vertex wiring only in {@code init}, which needs a full parameter vector; the rank's graph is
 * initialised on a copy once at construction, then every layer is rebound to the compute scratch and the graph's
 * reference to the full vector is dropped, so it is garbage between steps.
 *
 * <p>Trace: non-input vertices in topological order except output layers (forward), then all non-input vertices in
 * reverse topological order (backward; an output layer's forward, score and backward are one step).
 */
final class GraphRank extends RankBase {
    private final ComputationGraph graph;
    private final int[] order;

    GraphRank(ComputationGraph source, FlatLayout layout, ZeroStage3Config knobs, RankEnv env) {
        super(env, largest(source));
        var conf = source.getConfiguration().clone();
        conf.setDataType(computeType()); // HALF compute: every layer of the rank's graph is a HALF layer
        graph = new ComputationGraph(conf);
        graph.init(computeType() == DataType.FLOAT ? source.params().dup() : source.params().castTo(computeType()),
                false);
        order = graph.topologicalSortOrder();
        GraphVertex[] mine = graph.getVertices();
        List<ModuleParams> forward = new ArrayList<>();
        List<ModuleParams> backward = new ArrayList<>();
        for (int idx : order) {
            GraphVertex v = mine[idx];
            if (v.isInputVertex()) {
                continue;
            }
            Layer l = v.hasLayer() && v.numParams() > 0 ? rebind(v.getLayer(), v.numParams()) : null;
            ModuleParams m = partition(idx, "vertex " + v.getVertexName(), source.getVertex(v.getVertexName()), l,
                    layout);
            if (!isOutputLayer(v)) {
                forward.add(m);
            }
            backward.add(0, m);
        }
        dropFlatVector();
        List<ModuleParams> trace = new ArrayList<>(forward);
        trace.addAll(backward);
        finish(trace, layout, knobs);
    }

    /**
     * Points a layer of the rank's graph at the scratch. DL4J 1.0.0-M2.1's {@code SameDiffLayer.setParam} checks the
     * shape and then ignores the value, so {@code setParamTable} on an initialised SameDiff layer (self-attention and
     * other SameDiff layers) changes nothing; its table is cleared first so that the new views are taken, before its
     * SameDiff graph is built on the first forward pass.
     */
    private Layer rebind(Layer l, long n) {
        INDArray view = scratchView(n);
        if (l instanceof org.deeplearning4j.nn.layers.samediff.SameDiffLayer) {
            clearField(org.deeplearning4j.nn.layers.samediff.SameDiffLayer.class, "paramTable", l);
        }
        l.setParamTable(l.conf().getLayer().initializer().init(l.conf(), view, false));
        l.setParamsViewArray(view);
        return l;
    }

    private void dropFlatVector() {
        clearField(ComputationGraph.class, "flattenedParams", graph);
    }

    private static void clearField(Class<?> owner, String name, Object target) {
        try {
            java.lang.reflect.Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            f.set(target, null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot clear " + owner.getSimpleName() + "." + name + " (DL4J internals"
                    + " changed?): " + e, e);
        }
    }

    /** Every layer of the rank's graph, including parameterless loss layers. */
    @Override
    protected Layer[] lossLayers() {
        return graph.getLayers();
    }

    @Override
    long largestReferencedParameterBuffer() {
        INDArray flat = graph.params();
        return Math.max(super.largestReferencedParameterBuffer(), flat == null ? 0 : flat.data().length());
    }

    private static long largest(ComputationGraph g) {
        long m = 0;
        for (GraphVertex v : g.getVertices()) {
            m = Math.max(m, v.numParams());
        }
        return m;
    }

    private static boolean isOutputLayer(GraphVertex v) {
        return v.isOutputVertex() && v.hasLayer() && v.getLayer() instanceof IOutputLayer;
    }

    @Override
    double forwardBackward(INDArray[] features, INDArray[] labels) {
        graph.setInputs(features);
        graph.setLabels(labels);
        GraphVertex[] vs = graph.getVertices();
        double reg = 0;
        for (int idx : order) {
            GraphVertex v = vs[idx];
            if (isOutputLayer(v)) {
                continue;
            }
            INDArray out;
            if (v.isInputVertex()) {
                out = features[idx];
            } else {
                enter(idx);
                out = v.doForward(true, mgr);
                reg += v.hasLayer() ? v.getLayer().calcRegularizationScore(true) : 0;
                leave(idx);
            }
            if (v.getOutputVertices() != null) {
                for (VertexIndices to : v.getOutputVertices()) {
                    vs[to.getVertexIndex()].setInput(to.getVertexEdgeNumber(), out, mgr);
                }
            }
        }
        double score = backward(vs, labels, reg);
        endStep();
        for (GraphVertex v : vs) {
            v.clear();
        }
        return score;
    }

    private double backward(GraphVertex[] vs, INDArray[] labels, double reg) {
        boolean[] epsilonSet = new boolean[vs.length];
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        double score = 0;
        double r = reg;
        for (int k = order.length - 1; k >= 0; k--) {
            GraphVertex v = vs[order[k]];
            if (v.isInputVertex()) {
                continue;
            }
            enter(order[k]);
            boolean outLayer = isOutputLayer(v);
            if (outLayer) {
                ((IOutputLayer) v.getLayer()).setLabels(labels[outputs.indexOf(v.getVertexName())]);
            }
            Pair<Gradient, INDArray[]> p = backprop(order[k], () -> v.doBackward(false, mgr));
            if (outLayer) {
                double all = r + v.getLayer().calcRegularizationScore(true);
                score += ((IOutputLayer) v.getLayer()).computeScore(all, true, mgr);
                r = 0; // DL4J adds the regularization score to the first output's score only
            }
            leave(order[k]);
            passEpsilons(vs, v, p.getSecond(), epsilonSet);
        }
        return score;
    }

    private static void passEpsilons(GraphVertex[] vs, GraphVertex v, INDArray[] eps, boolean[] epsilonSet) {
        if (v.getInputVertices() == null) {
            return;
        }
        int j = 0;
        for (VertexIndices from : v.getInputVertices()) {
            GraphVertex g = vs[from.getVertexIndex()];
            if (epsilonSet[g.getVertexIndex()] && g.getEpsilon() != null) {
                g.setEpsilon(g.getEpsilon().addi(eps[j++]));
            } else {
                g.setEpsilon(eps[j++]);
            }
            epsilonSet[g.getVertexIndex()] = true;
        }
    }
}
