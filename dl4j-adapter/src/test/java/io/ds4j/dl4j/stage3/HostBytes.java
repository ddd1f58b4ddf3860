package io.ds4j.dl4j.stage3;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * What the host-memory tests measure with, and the network they measure on: the live Java heap after full collections,
 * the JVM's direct-buffer bytes, and a 6-1500-1500-3 network (Ψ = 2,265,003) whose shards are large enough to show.
 */
public final class HostBytes {

    private HostBytes() {
    }

    /** The 6-1500-1500-3 network, initialised, with {@code updater}. */
    public static MultiLayerNetwork wide(IUpdater updater) {
        MultiLayerConfiguration c = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(1500).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(1500).nOut(1500).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(1500).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /**
     * {@code 6 -> layers x width -> 3} (tanh, softmax output, Adam), FLOAT: many tensors of one size, so that a copy
     * of the whole model and one buffer of its largest tensor differ by the layer count.
     */
    static MultiLayerConfiguration deep(int layers, int width, long seed) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(width).activation(Activation.TANH).build());
        for (int i = 0; i < layers; i++) {
            b.layer(new DenseLayer.Builder().nIn(width).nOut(width).activation(Activation.TANH).build());
        }
        return b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(width).nOut(3)
                .activation(Activation.SOFTMAX).build()).build();
    }

    /** Heap bytes allocated so far by all threads, live and ended, as the JVM counts them. */
    static long heapAllocatedByAllThreads() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    /** The smallest heap in use seen over four full collections (garbage left out as far as the JVM allows). */
    public static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Bytes held by the JVM's direct {@code ByteBuffer}s. */
    public static long directBytes() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool bean");
    }
}
