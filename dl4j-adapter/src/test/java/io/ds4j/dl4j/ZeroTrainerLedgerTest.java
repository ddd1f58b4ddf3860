package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.ModelStateBytes;
import io.ds4j.zero.ledger.TrainingPrecision;
import io.ds4j.zero.ledger.ZeroFormulas;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The ledger each rank of a {@link ZeroTrainer} fills, against the ZeRO paper's per-rank model-state bytes for fp32
 * Adam (p = g = 4 bytes, K = 8: two fp32 state words, the fp32 parameters are the master):
 * stage 0 {@code (4+4+8)Psi}, stage 1 {@code (4+4)Psi + 8Psi/N}, stage 2 {@code 4Psi + (4+8)Psi/N}. The engine pads
 * the flat vector to a multiple of {@code 2N} (alignment 2) so a shard may hold up to one element more than
 * {@code ceil(Psi/N)}; for a model of about 1.0M parameters every category must be within 5% (issue 4) and is in fact
 * within 0.01%.
 */
class ZeroTrainerLedgerTest {

    @ParameterizedTest(name = "stage {0}, N={1}")
    @CsvSource({"0,1", "0,2", "0,4", "0,8", "1,1", "1,2", "1,4", "1,8", "2,1", "2,2", "2,4", "2,8"})
    void modelStateMatchesZeroFormula(int stage, int n) {
        MultiLayerNetwork net = millionParameterNet();
        long psi = net.numParams();
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(stage)).worldSize(n)
                .build()) {
            ModelStateBytes want = ZeroFormulas.perRank(stage, TrainingPrecision.FP32, 2, psi, n);
            List<LedgerSnapshot> report = t.memoryReport();
            assertEquals(n, report.size());
            for (LedgerSnapshot s : report) {
                ModelStateBytes got = ModelStateBytes.of(s);
                assertWithin(want.parameters(), got.parameters(), "parameters rank " + s.rank());
                assertWithin(want.gradients(), got.gradients(), "gradients rank " + s.rank());
                assertWithin(want.optimizerState(), got.optimizerState(), "optimizer state rank " + s.rank());
                assertEquals(0, got.masterWeights(), "fp32: the parameters are the master");
                assertWithin(want.total(), got.total(), "model state rank " + s.rank());
                assertEquals(got.total(), s.modelStateBytes());
                assertEquals(true, s.bytes(MemoryCategory.COMM_BUFFERS) > 0, "buffers are accounted too");
            }
        }
    }

    private static void assertWithin(long want, long got, String what) {
        assertEquals(want, got, 1e-4 * want + 16, what + ": ledger " + got + " vs ZeRO formula " + want);
    }

    /** 784-1200-50-10 dense network: 1,002,560 fp32 parameters, Adam. */
    static MultiLayerNetwork millionParameterNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(1200).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(1200).nOut(50).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(50).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
