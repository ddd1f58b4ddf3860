package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.stage3.ModuleParams;
import java.util.ArrayList;
import java.util.List;
import io.ds4j.dl4j.pass.GraphPass;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank of a stage-3 {@link ComputationGraph}, driven vertex by vertex by a {@link GraphPass}.
 *
 * <p>DL4J builds a graph's vertex wiring only in {@code init}, which needs a full parameter vector; the rank's graph is
 * initialised once at construction on the user's own vector (FLOAT compute: {@code init} with given parameters writes
 * none of them; a copy per rank was 4Ψ each, resident until collected) or on a HALF cast of it (HALF compute, garbage
 * after construction), then every layer is rebound to the compute scratch and the graph's reference to the full vector
 * is dropped, so the rank's graph holds none of it between steps.
 *
 * <p>The coordinator's trace is the pass's: non-input vertices in topological order except output layers (forward),
 * then all non-input vertices in reverse topological order (backward).
 */
final class GraphRank extends RankBase {
    private final ComputationGraph graph;
    private final GraphPass pass;

    GraphRank(ComputationGraph source, FlatLayout layout, ZeroStage3Config knobs, RankEnv env) {
        super(env, largest(source));
        var conf = source.getConfiguration().clone();
        conf.setDataType(computeType()); // HALF compute: every layer of the rank's graph is a HALF layer
        graph = new ComputationGraph(conf);
        // FLOAT: wired on the user's own vector, not a copy (init with given parameters writes none of them; every
        // layer is rebound to the scratch below and the reference dropped): a copy was 4Ψ per rank until collected
        graph.init(computeType() == DataType.FLOAT ? source.params() : source.params().castTo(computeType()), false);
        pass = new GraphPass(graph);
        int[] order = pass.order();
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
            if (!GraphPass.isOutputLayer(v)) {
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

    @Override
    double forwardBackward(INDArray[] features, INDArray[] labels) {
        return pass.forwardBackward(features, labels, this);
    }

    @Override
    void closePass() {
        pass.close();
    }
}
