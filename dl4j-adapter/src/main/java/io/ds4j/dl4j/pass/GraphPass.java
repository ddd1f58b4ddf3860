package io.ds4j.dl4j.pass;

import java.util.List;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward-backward pass of a {@link ComputationGraph}, vertex by vertex in topological order, as
 * {@code ComputationGraph.computeGradientAndScore()} drives it (inputs handed along the vertex edges, output layers
 * skipped in the forward pass, epsilons summed in DL4J's order for vertices feeding several others), without
 * workspaces (the arrays the vertices make are freed when the pass ends, {@link PassArrays}; ND4J's own temporaries
 * go to the pass's workspace, {@link PassWorkspace}, reset after each vertex, freed by {@link #close}), with
 * {@link LayerHooks} around every
 * non-input vertex, run outside the workspace. Vertex index {@code v} is module {@code v}.
 *
 * <p>Trace: non-input vertices in topological order except output layers (forward), then all non-input vertices in
 * reverse topological order (backward; an output layer's forward, score and backward are one step).
 */
public final class GraphPass implements AutoCloseable {
    private final ComputationGraph graph;
    private final int[] order;
    private final PassArrays mgr = new PassArrays();
    private final PassWorkspace workspace = new PassWorkspace(); // ND4J's temporaries in the vertices' calls

    /** @param graph an initialised graph whose vertices the pass drives */
    public GraphPass(ComputationGraph graph) {
        this.graph = graph;
        this.order = graph.topologicalSortOrder();
    }

    /** @return the graph's topological order (vertex indices) */
    public int[] order() {
        return order.clone();
    }

    /** Whether {@code v} is an output layer: its forward, score and backward are one step of the pass. */
    public static boolean isOutputLayer(GraphVertex v) {
        return v.isOutputVertex() && v.hasLayer() && v.getLayer() instanceof IOutputLayer;
    }

    /**
     * Runs forward and backward on one micro-batch (features already in the graph's compute type).
     *
     * @return DL4J's score (the sum of the output layers' scores, regularization added to the first one)
     */
    public double forwardBackward(INDArray[] features, INDArray[] labels, LayerHooks hooks) {
        try (MemoryWorkspace ws = workspace.open()) {
            return run(features, labels, hooks);
        } finally {
            mgr.release(); // the vertices' activations, epsilons and working arrays, cleared from the vertices by run
        }
    }

    private double run(INDArray[] features, INDArray[] labels, LayerHooks hooks) {
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
                PassWorkspace.enter(hooks, idx);
                out = v.doForward(true, mgr);
                reg += v.hasLayer() ? v.getLayer().calcRegularizationScore(true) : 0;
                PassWorkspace.leave(hooks, idx);
                workspace.nextModule();
            }
            if (v.getOutputVertices() != null) {
                for (VertexIndices to : v.getOutputVertices()) {
                    vs[to.getVertexIndex()].setInput(to.getVertexEdgeNumber(), out, mgr);
                }
            }
        }
        double score = backward(vs, labels, reg, hooks);
        PassWorkspace.endStep(hooks);
        for (GraphVertex v : vs) {
            v.clear();
        }
        return score;
    }

    private double backward(GraphVertex[] vs, INDArray[] labels, double reg, LayerHooks hooks) {
        boolean[] epsilonSet = new boolean[vs.length];
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        double score = 0;
        double r = reg;
        for (int k = order.length - 1; k >= 0; k--) {
            GraphVertex v = vs[order[k]];
            if (v.isInputVertex()) {
                continue;
            }
            PassWorkspace.enter(hooks, order[k]);
            boolean outLayer = isOutputLayer(v);
            if (outLayer) {
                ((IOutputLayer) v.getLayer()).setLabels(labels[outputs.indexOf(v.getVertexName())]);
            }
            Pair<Gradient, INDArray[]> p = workspace.backprop(hooks, order[k], () -> v.doBackward(false, mgr));
            if (outLayer) {
                double all = r + v.getLayer().calcRegularizationScore(true);
                score += ((IOutputLayer) v.getLayer()).computeScore(all, true, mgr);
                r = 0; // DL4J adds the regularization score to the first output's score only
            }
            PassWorkspace.leave(hooks, order[k]);
            passEpsilons(vs, v, p.getSecond(), epsilonSet);
            workspace.nextModule();
        }
        return score;
    }

    /** @return the bytes of the pass's workspace (sized by the first pass; 0 before it) */
    public long workspaceBytes() {
        return workspace.bytes();
    }

    /** Frees the pass's workspace ({@link PassWorkspace}); call when no pass runs. */
    @Override
    public void close() {
        workspace.close();
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
