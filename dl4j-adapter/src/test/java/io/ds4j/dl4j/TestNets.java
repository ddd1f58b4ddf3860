package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The test fixtures of the adapter, in one place: small networks and data for the parity tests (stages 0-2 and 3)
 * and the mixed-precision task; every network is built from a fixed seed. Tests only read the shared batches.
 */
public final class TestNets {

    private static final int T = 7;

    private TestNets() {
    }

    /** Dense MLP with per-layer updaters, l2 (before the updater), weight decay (after) and layer normalization. */
    public static MultiLayerNetwork denseMln(long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(10).activation(Activation.TANH).l2(1e-3).build())
                .layer(new DenseLayer.Builder().nIn(10).nOut(8).activation(Activation.RELU)
                        .updater(new Nesterovs(0.05, 0.9)).weightDecay(1e-2)
                        .gradientNormalization(GradientNormalization.ClipL2PerLayer)
                        .gradientNormalizationThreshold(0.5).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .updater(new RmsProp(1e-2)).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Plain dense MLP with a single updater for the clipping golden test. */
    public static MultiLayerNetwork sgdMln(long seed, IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(7).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Graph with a convolution, pooling and dense layer, Adam. */
    public static ComputationGraph convGraph(long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(5e-3)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(6, 6, 1))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("pool", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "conv")
                .addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).l2(1e-3).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Graph with an LSTM and an RNN output layer, Sgd with momentum-free updates. */
    public static ComputationGraph lstmGraph(long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .dataFormat(RNNFormat.NCW).updater(new Sgd(0.1)).activation(Activation.SOFTMAX).build(),
                        "lstm")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Graph with multi-head self-attention over a sequence, global average pooling and a softmax output, Adam. */
    public static ComputationGraph attentionGraph(long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(4, T, RNNFormat.NCW))
                .addLayer("attn", new SelfAttentionLayer.Builder().nOut(6).nHeads(2).projectInput(true).build(), "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "attn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Sequence features [n,4,T] with one class per sequence: labels [n,3]. */
    public static List<DataSet> sequenceClassData(int batches, int batchSize, long seed) {
        List<DataSet> seq = sequenceData(batches, batchSize, seed);
        List<DataSet> out = new ArrayList<>();
        for (DataSet d : seq) {
            out.add(new DataSet(d.getFeatures(), d.getLabels().get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.point(0)).dup()));
        }
        return out;
    }

    /** Dense-input batches: features [n,6], one-hot labels [n,3]. */
    public static List<DataSet> denseData(int batches, int batchSize, long seed) {
        return data(batches, seed, r -> new long[] {batchSize, 6}, new long[] {batchSize, 3});
    }

    /** Image batches: features [n,1,6,6], one-hot labels [n,3]. */
    public static List<DataSet> imageData(int batches, int batchSize, long seed) {
        return data(batches, seed, r -> new long[] {batchSize, 1, 6, 6}, new long[] {batchSize, 3});
    }

    /** Sequence batches: features [n,4,T], one-hot labels [n,3,T], T = 7. */
    public static List<DataSet> sequenceData(int batches, int batchSize, long seed) {
        List<DataSet> out = new ArrayList<>();
        Random r = new Random(seed);
        for (int b = 0; b < batches; b++) {
            float[] f = new float[batchSize * 4 * T];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextGaussian();
            }
            float[] l = new float[batchSize * 3 * T];
            for (int n = 0; n < batchSize; n++) {
                for (int t = 0; t < T; t++) {
                    l[n * 3 * T + r.nextInt(3) * T + t] = 1f;
                }
            }
            out.add(new DataSet(Nd4j.create(f, new long[] {batchSize, 4, T}),
                    Nd4j.create(l, new long[] {batchSize, 3, T})));
        }
        return out;
    }

    interface Shape {
        long[] of(Random r);
    }

    public static List<DataSet> data(int batches, long seed, Shape featureShape, long[] labelShape) {
        List<DataSet> out = new ArrayList<>();
        Random r = new Random(seed);
        for (int b = 0; b < batches; b++) {
            long[] fs = featureShape.of(r);
            long n = 1;
            for (long d : fs) {
                n *= d;
            }
            float[] f = new float[(int) n];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextGaussian();
            }
            float[] l = new float[(int) (labelShape[0] * labelShape[1])];
            for (int i = 0; i < labelShape[0]; i++) {
                l[(int) (i * labelShape[1]) + r.nextInt((int) labelShape[1])] = 1f;
            }
            out.add(new DataSet(Nd4j.create(f, fs), Nd4j.create(l, labelShape)));
        }
        return out;
    }

    // ---- the stage-3 parity networks (6-16-12-3 dense, 1x8x8 convolution, LSTM) and their random batches

    private static NeuralNetConfiguration.Builder stage3Base(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .updater(new Adam(1e-2));
    }

    /** Dense 6-16-12-3 with l2 and, on the middle layer, its own updater (two DL4J updater blocks). */
    public static MultiLayerNetwork plainDenseMln(long seed) {
        MultiLayerConfiguration c = stage3Base(seed).l2(1e-3).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(12).activation(Activation.RELU)
                        .updater(new Nesterovs(0.05, 0.9)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** Convolution 1x8x8 -> conv 3x3 (4) -> max pool -> dense 10 -> softmax 3 (with pre-processors). */
    public static MultiLayerNetwork convMln(long seed) {
        MultiLayerConfiguration c = stage3Base(seed).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(10).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** LSTM 4 -> 8 -> RnnOutputLayer 3 over 5 time steps. */
    public static MultiLayerNetwork lstmMln(long seed) {
        MultiLayerConfiguration c = stage3Base(seed).list()
                .layer(new LSTM.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** Random batches: features of {@code featureShape} per example, one-hot labels of 3 classes. */
    public static List<DataSet> randomData(int batches, int batchSize, long seed, long[] featureShape,
                                           long[] labelShape) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            long[] fs = prepend(batchSize, featureShape);
            long[] ls = prepend(batchSize, labelShape);
            var f = Nd4j.rand(DataType.FLOAT, fs).subi(0.5).muli(2);
            var l = Nd4j.zeros(DataType.FLOAT, ls);
            long steps = ls.length == 3 ? ls[2] : 1;
            for (int i = 0; i < batchSize; i++) {
                for (long t = 0; t < steps; t++) {
                    int k = r.nextInt(3);
                    if (ls.length == 3) {
                        l.putScalar(new long[] {i, k, t}, 1f);
                    } else {
                        l.putScalar(new long[] {i, k}, 1f);
                    }
                }
            }
            out.add(new DataSet(f, l));
        }
        return out;
    }

    private static long[] prepend(long n, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    // ---- the mixed-precision task: three Gaussian blobs in 8 dimensions (seed 7) and its 8-32-3 classifier

    /** Examples per batch (one global batch per step). */
    public static final int BLOB_BATCH = 32;
    /** The batches, in order. */
    public static final List<DataSet> BLOB_BATCHES = List.copyOf(blobs(12, BLOB_BATCH, 7));
    /** Every example, for the loss after training. */
    public static final DataSet BLOB_ALL = DataSet.merge(BLOB_BATCHES);

    /** Three Gaussian blobs in 8 dimensions, one-hot labels. */
    public static List<DataSet> blobs(int batches, int batchSize, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[3][8];
        for (double[] c : centres) {
            for (int j = 0; j < 8; j++) {
                c[j] = r.nextGaussian();
            }
        }
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            float[][] x = new float[batchSize][8];
            float[][] y = new float[batchSize][3];
            for (int i = 0; i < batchSize; i++) {
                int k = r.nextInt(3);
                y[i][k] = 1f;
                for (int j = 0; j < 8; j++) {
                    x[i][j] = (float) (centres[k][j] + 0.8 * r.nextGaussian());
                }
            }
            out.add(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        return out;
    }

    /** @return {@link #blobNet(double, Activation)} with loss weight 1e-6 and a tanh hidden layer */
    public static MultiLayerNetwork blobNet() {
        return blobNet(1e-6, Activation.TANH);
    }

    /**
     * @param weight the loss weight of every class
     * @param hidden the hidden layer's activation
     * @return an 8-32-3 classifier with Adam
     */
    public static MultiLayerNetwork blobNet(double weight, Activation hidden) {
        INDArray weights = Nd4j.valueArrayOf(new long[] {3}, weight, DataType.FLOAT);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.FLOAT)
                .updater(new Adam(0.01, 0.9, 0.999, 1e-14)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(8).nOut(32).activation(hidden).build())
                .layer(new OutputLayer.Builder(new LossMCXENT(weights)).nIn(32).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
