package io.ds4j.dl4j.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A pass frees the arrays its layers made once it is over ({@link PassArrays}), and computes exactly what DL4J's
 * {@code computeGradientAndScore()} computes, also on the pass after (whose layers still referenced the freed arrays
 * until they ran again). The arrays looked at are what each layer's backward read as its input: the activation the
 * layer below made (freed), or the features (the caller's, never freed). Before {@link PassArrays} every one of them
 * stayed allocated until the garbage collector found it.
 */
class PassArraysTest {

    @Test
    void aMultiLayerPassFreesItsActivationsAndMatchesDl4j() {
        MultiLayerNetwork net = TestNets.denseMln(3);
        List<DataSet> data = TestNets.denseData(2, 5, 11);
        net.initGradientsView(); // the layers' gradient views, which DL4J makes at the first fit
        MlnPass pass = new MlnPass(net.getLayerWiseConfigurations(), net.getnLayers());
        for (DataSet d : data) {
            Inputs seen = new Inputs(net::getLayer, id -> net.getLayer(id).input());
            double score = pass.forwardBackward(d.getFeatures(), d.getLabels(), seen);
            float[] passGradient = net.getFlattenedGradients().toFloatVector();
            assertEquals(net.getnLayers(), seen.inputs.size());
            seen.assertFreedExcept(d.getFeatures());

            net.setInput(d.getFeatures());
            net.setLabels(d.getLabels());
            net.computeGradientAndScore();
            assertEquals(net.score(), score, 0.0, "the pass's score is DL4J's");
            assertArrayEquals(net.getFlattenedGradients().toFloatVector(), passGradient, "the pass's gradient is DL4J's");
        }
    }

    @Test
    void aGraphPassFreesItsActivationsAndMatchesDl4j() {
        ComputationGraph graph = TestNets.convGraph(5);
        List<DataSet> data = TestNets.imageData(2, 4, 13);
        graph.initGradientsView();
        GraphPass pass = new GraphPass(graph);
        for (DataSet d : data) {
            Inputs seen = new Inputs(id -> graph.getVertices()[id].getLayer(),
                    id -> graph.getVertices()[id].getInputs()[0]);
            double score = pass.forwardBackward(new INDArray[] {d.getFeatures()}, new INDArray[] {d.getLabels()},
                    seen);
            float[] passGradient = graph.getFlattenedGradients().toFloatVector();
            assertEquals(4, seen.inputs.size(), "conv, pool, dense, out");
            seen.assertFreedExcept(d.getFeatures());

            graph.setInputs(d.getFeatures());
            graph.setLabels(d.getLabels());
            graph.computeGradientAndScore();
            assertEquals(graph.score(), score, 0.0, "the pass's score is DL4J's");
            assertArrayEquals(graph.getFlattenedGradients().toFloatVector(), passGradient,
                    "the pass's gradient is DL4J's");
        }
    }

    /** Hooks that run every module on the network's own layer and note what each backward read as its input. */
    private static final class Inputs implements LayerHooks {
        private final Function<Integer, Layer> layers;
        private final Function<Integer, INDArray> inputOf;
        private final List<INDArray> inputs = new ArrayList<>();

        Inputs(Function<Integer, Layer> layers, Function<Integer, INDArray> inputOf) {
            this.layers = layers;
            this.inputOf = inputOf;
        }

        @Override
        public Layer enter(int id) {
            return layers.apply(id);
        }

        @Override
        public <T> T backprop(int id, Supplier<T> body) {
            inputs.add(inputOf.apply(id));
            return body.get();
        }

        @Override
        public void leave(int id) {
        }

        @Override
        public void endStep() {
        }

        /** Every input but the features (and views of it) was made in the pass and is freed now. */
        void assertFreedExcept(INDArray features) {
            int freed = 0;
            for (INDArray a : inputs) {
                boolean caller = a == features || a.isView() && a.data() == features.data();
                if (caller) {
                    assertFalse(a.wasClosed(), "the caller's features are never freed");
                } else {
                    assertTrue(a.wasClosed(), "an input the pass made (" + a.shapeInfoToString() + ") is not freed");
                    freed++;
                }
            }
            assertEquals(inputs.size() - 1, freed, "every layer above the first reads an activation the pass made");
        }
    }
}
