package io.ds4j.dl4j.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The pass's workspace is reset after every module ({@link PassWorkspace#nextModule}), so its block holds one
 * module's temporaries, not the whole pass's: a pass over 8 hidden layers keeps a block no larger than a pass over 2
 * layers of the same width (measured: the workspace's size after two passes of each); before, the block grew with
 * the depth (a pass's temporaries all lived until the pass ended). The pass still computes DL4J's gradient and score.
 */
class PassWorkspacePerModuleTest {

    private static MultiLayerNetwork dense(int hidden, int width) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER).list();
        for (int i = 0; i < hidden; i++) {
            b.layer(new DenseLayer.Builder().nIn(i == 0 ? 16 : width).nOut(width).activation(Activation.TANH).build());
        }
        b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(width).nOut(4)
                .activation(Activation.SOFTMAX).build());
        MultiLayerNetwork net = new MultiLayerNetwork(b.build());
        net.init();
        net.initGradientsView();
        return net;
    }

    /** Hooks that run every module on the network's own layer. */
    private static LayerHooks own(MultiLayerNetwork net) {
        return new LayerHooks() {
            @Override
            public Layer enter(int id) {
                return net.getLayer(id);
            }

            @Override
            public <T> T backprop(int id, Supplier<T> body) {
                return body.get();
            }

            @Override
            public void leave(int id) {
            }

            @Override
            public void endStep() {
            }
        };
    }

    /** The workspace's block after two passes, checking the second pass against DL4J. */
    private static long blockAfterTwoPasses(int hidden) {
        MultiLayerNetwork net = dense(hidden, 256);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 16);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 4);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, i % 4, 1f);
        }
        try (MlnPass pass = new MlnPass(net.getLayerWiseConfigurations(), net.getnLayers())) {
            pass.forwardBackward(x, y, own(net));
            double score = pass.forwardBackward(x, y, own(net));
            float[] gradient = net.getFlattenedGradients().toFloatVector();
            net.setInput(x);
            net.setLabels(y);
            net.computeGradientAndScore();
            assertEquals(net.score(), score, 0.0, "the pass's score is DL4J's");
            assertArrayEquals(net.getFlattenedGradients().toFloatVector(), gradient, "the pass's gradient is DL4J's");
            return pass.workspaceBytes();
        }
    }

    @Test
    void theBlockHoldsOneModulesTemporariesWhateverTheDepth() {
        long shallow = blockAfterTwoPasses(2);
        long deep = blockAfterTwoPasses(8);
        assertTrue(shallow > 0, "the layers' matrix products use the workspace");
        assertTrue(deep <= shallow + shallow / 4, "8 hidden layers: block " + deep + " B against " + shallow
                + " B for 2");
    }
}
