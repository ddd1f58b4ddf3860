package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ProcStatus;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Describing a network built partitioned (not initialised) must not leave the process holding a layer of memory: the
 * layers that describe it are instantiated on an array that nothing reads once the layout is made. Left to the
 * garbage collector, each call held a largest layer until a collection, and a stage-3 rank process of a 4-way job,
 * which collects rarely, still held the three its build made at the end of training (bench memory --processes, 16M
 * parameters: 24 MB of its peak, found with heaptrack).
 *
 * <p>Measured: the process's resident bytes (VmRSS) around describing a network whose largest layer is 2048 x 2048
 * floats (16 MiB), with every layout kept reachable, as a trainer keeps its layouts. The freed array may stay in
 * malloc's free memory (glibc keeps a freed block of that size for reuse rather than unmap it), so one layout may add
 * up to one layer; four more must add less than one more layer: each reuses that block, but in a fork that ran other
 * tests first malloc once placed one of them in fresh memory (16 MiB measured, at load 14), and 4 MiB is left for the
 * layers' Java objects. Before the fix, four layouts added 64 MiB (measured): four layers, held until a collection.
 */
class SkeletonResidentTest {
    private static final int WIDTH = 2048;
    private static final long SLACK = 4L << 20;

    @Test
    void describingAPartitionedNetworkAddsNoResidentLayer() {
        Assumptions.assumeTrue(ProcStatus.rssBytes() > 0, "needs /proc/self/status");
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(WIDTH).nOut(WIDTH).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(WIDTH).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        FlatLayout.of(net); // loads the classes and the native library before the measurement
        long before = ProcStatus.rssBytes();
        List<FlatLayout> kept = new ArrayList<>();
        kept.add(FlatLayout.of(net));
        long afterOne = ProcStatus.rssBytes();
        for (int i = 0; i < 4; i++) {
            kept.add(FlatLayout.of(net));
        }
        long afterFive = ProcStatus.rssBytes();
        assertEquals((long) WIDTH * WIDTH + WIDTH + WIDTH * 10L + 10, kept.get(4).length());
        long layer = 4L * WIDTH * WIDTH;
        assertTrue(afterFive - afterOne < layer + SLACK, "four more layouts of a partitioned network made the process "
                + ((afterFive - afterOne) >> 20) + " MiB larger; its largest layer is " + (layer >> 20) + " MiB");
        assertTrue(afterOne - before < layer + SLACK, "one layout made the process " + ((afterOne - before) >> 20)
                + " MiB larger: more than the freed array malloc may keep for reuse (" + (layer >> 20) + " MiB)");
        assertTrue(PartitionedConstruction.applies(net), "describing it must not initialise it");
    }
}
