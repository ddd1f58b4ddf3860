package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Every updater, regularization and gradient normalization DL4J 1.0.0-M2.1 offers, set globally (on the
 * {@code NeuralNetConfiguration.Builder}) and per layer, trained by {@link ZeroTrainer} at stages 0-3 on 2 ranks
 * (issue 18)
 * against plain {@code fit()} on the same global batches; or, where the engine cannot shard it, refused by name.
 *
 * <p>Tolerance: after the run, every parameter within {@code 1e-6 + 1e-5 |p|} of {@code fit()}'s, the bound
 * {@link ZeroTrainerParityTest} justifies for the reordered float sum of the same per-example gradients (2 ranks of 4
 * examples instead of one batch of 8); the run must move some parameter by more than 1e-2, so a regularization or
 * updater left out (each changes a 10-step run by far more than the bound) fails it.
 */
class UpdaterRegularizationParityTest {

    private static final int STEPS = 10;
    private static final int BATCH = 8;

    /** One regularization setting, applied to a layer builder (or the global builder, through the same methods). */
    enum Reg {
        L1, L2, WEIGHT_DECAY_LR, WEIGHT_DECAY_NO_LR, L1_BIAS, L2_BIAS, WEIGHT_DECAY_BIAS_LR, WEIGHT_DECAY_BIAS_NO_LR;

        NeuralNetConfiguration.Builder global(NeuralNetConfiguration.Builder b) {
            return switch (this) {
                case L1 -> b.l1(2e-2);
                case L2 -> b.l2(5e-2);
                case WEIGHT_DECAY_LR -> b.weightDecay(5e-2, true);
                case WEIGHT_DECAY_NO_LR -> b.weightDecay(5e-3, false);
                case L1_BIAS -> b.l1Bias(2e-2);
                case L2_BIAS -> b.l2Bias(5e-2);
                case WEIGHT_DECAY_BIAS_LR -> b.weightDecayBias(5e-2, true);
                case WEIGHT_DECAY_BIAS_NO_LR -> b.weightDecayBias(5e-3, false);
            };
        }

        /** Sets this regularization on a layer builder (builders change in place). */
        void layer(BaseLayer.Builder<?> b) {
            switch (this) {
                case L1 -> b.l1(2e-2);
                case L2 -> b.l2(5e-2);
                case WEIGHT_DECAY_LR -> b.weightDecay(5e-2, true);
                case WEIGHT_DECAY_NO_LR -> b.weightDecay(5e-3, false);
                case L1_BIAS -> b.l1Bias(2e-2);
                case L2_BIAS -> b.l2Bias(5e-2);
                case WEIGHT_DECAY_BIAS_LR -> b.weightDecayBias(5e-2, true);
                case WEIGHT_DECAY_BIAS_NO_LR -> b.weightDecayBias(5e-3, false);
                default -> throw new IllegalStateException(name());
            }
        }
    }

    /**
     * Each updater at stage 3 (its own optimizer over parameter shards) and at one of stages 0-2 in turn (one
     * {@code RankWorker} path: whole range, all-reduced shard, reduce-scattered shard): 20 runs instead of 40, for
     * the CI budget. {@code AdaBelief} is left out: DL4J 1.0.0-M2.1's own {@code fit()} throws in
     * {@code AdaBelief.instantiate} (ArrayIndexOutOfBoundsException), so there is nothing to be in parity with.
     */
    static Stream<Arguments> updaters() {
        Stream.Builder<Arguments> b = Stream.builder();
        IUpdater[] all = {new Sgd(0.1), new Nesterovs(0.05, 0.9), new AdaGrad(0.05), new AdaDelta(),
            new AdaMax(0.01), new Adam(0.01), new AMSGrad(0.01), new Nadam(0.01), new RmsProp(0.01), new NoOp()};
        for (int i = 0; i < all.length; i++) {
            b.add(Arguments.of(all[i], i % 3));
            b.add(Arguments.of(all[i], 3));
        }
        return b.build();
    }

    /** Each regularization, global and per layer, at stage 3 and at one of stages 0-2 in turn (32 runs). */
    static Stream<Arguments> regularizations() {
        Stream.Builder<Arguments> b = Stream.builder();
        int k = 0;
        for (Reg r : Reg.values()) {
            for (boolean perLayer : new boolean[] {false, true}) {
                b.add(Arguments.of(r, perLayer, k++ % 3));
                b.add(Arguments.of(r, perLayer, 3));
            }
        }
        return b.build();
    }

    /** The updater set globally, with l2 (before the updater) and weight decay (after it) on every layer. */
    @ParameterizedTest(name = "{0} stage {1}")
    @MethodSource("updaters")
    void everyUpdater(IUpdater updater, int stage) {
        UnaryOperator<NeuralNetConfiguration.Builder> global = b -> b.updater(updater).l2(1e-2).weightDecay(1e-2);
        assertParity(() -> net(global, UnaryOperator.identity(), UnaryOperator.identity()), stage,
                !(updater instanceof NoOp));
    }

    /**
     * NoOp leaves the gradient as the update: DL4J's {@code fit()} subtracts it as it is. Inside DL4J's own
     * {@code fit()} ({@link DeepSpeed#initialize}, world size 1) the engine must do the same (it zeroed the gradient of
     * NoOp parameters as if they were frozen, a regression this test and {@link #everyUpdater} caught).
     */
    @org.junit.jupiter.api.Test
    void noOpInsideDeepSpeedInitialize() {
        List<DataSet> data = TestNets.denseData(STEPS, BATCH, 31);
        UnaryOperator<NeuralNetConfiguration.Builder> global = b -> b.updater(new NoOp()).l2(1e-2);
        MultiLayerNetwork reference = net(global, UnaryOperator.identity(), UnaryOperator.identity());
        reference.fit(new ExistingDataSetIterator(data));
        MultiLayerNetwork trained = net(global, UnaryOperator.identity(), UnaryOperator.identity());
        try (DeepSpeedEngine e = DeepSpeed.initialize(trained, EngineOptions.defaults())) {
            trained.fit(new ExistingDataSetIterator(data));
        }
        float[] want = reference.params().toFloatVector();
        float[] got = trained.params().toFloatVector();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 + 1e-5 * Math.abs(want[i]), "parameter " + i);
        }
    }

    /** Global: on the builder (every layer); per layer: on the hidden and output layers, with another updater each. */
    @ParameterizedTest(name = "{0} perLayer={1} stage {2}")
    @MethodSource("regularizations")
    void everyRegularization(Reg reg, boolean perLayer, int stage) {
        UnaryOperator<NeuralNetConfiguration.Builder> global = b -> perLayer ? b.updater(new Adam(0.01))
                : reg.global(b.updater(new Sgd(0.1)));
        UnaryOperator<DenseLayer.Builder> hidden = h -> {
            if (perLayer) {
                reg.layer(h.updater(new Nesterovs(0.05)));
            }
            return h;
        };
        UnaryOperator<OutputLayer.Builder> out = o -> {
            if (perLayer) {
                reg.layer(o);
            }
            return o;
        };
        assertParity(() -> net(global, hidden, out), stage, true);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GradientNormalization.class, names = "None", mode = EnumSource.Mode.EXCLUDE)
    void everyGradientNormalizationAtStages0To2(GradientNormalization g) {
        int stage = g.ordinal() % 3; // the five modes spread over the three RankWorker paths
        assertParity(() -> net(b -> b.updater(new Adam(0.01)), h -> h.gradientNormalization(g)
                .gradientNormalizationThreshold(0.05), o -> o.gradientNormalization(g)
                .gradientNormalizationThreshold(0.05)), stage, true);
    }

    /** ZeRO-3 does not shard DL4J's gradient normalization yet: it is refused, naming the layer and the setting. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GradientNormalization.class, names = "None", mode = EnumSource.Mode.EXCLUDE)
    void gradientNormalizationIsRefusedByNameAtStage3(GradientNormalization g) {
        MultiLayerNetwork n = net(b -> b.updater(new Adam(0.01)), h -> h.gradientNormalization(g),
                UnaryOperator.identity());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(n).config(EngineOptions.defaults().withStage(3)).worldSize(2).build());
        assertTrue(e.getMessage().contains("gradientNormalization: " + g) && e.getMessage().contains("layer0"),
                e.getMessage());
    }

    static MultiLayerNetwork net(UnaryOperator<NeuralNetConfiguration.Builder> global,
                                 UnaryOperator<DenseLayer.Builder> hidden, UnaryOperator<OutputLayer.Builder> out) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).biasInit(0.3);
        MultiLayerConfiguration conf = global.apply(b).list()
                .layer(hidden.apply(new DenseLayer.Builder().nIn(6).nOut(7).activation(Activation.TANH)).build())
                .layer(out.apply(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX)).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    static void assertParity(java.util.function.Supplier<MultiLayerNetwork> factory, int stage, boolean moves) {
        List<DataSet> data = TestNets.denseData(STEPS, BATCH, 31);
        MultiLayerNetwork reference = factory.get();
        float[] start = reference.params().toFloatVector();
        reference.fit(new ExistingDataSetIterator(data));
        MultiLayerNetwork trained = factory.get();
        try (ZeroTrainer t = ZeroTrainer.builder(trained).config(EngineOptions.defaults().withStage(stage))
                .worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        float[] want = reference.params().toFloatVector();
        float[] got = trained.params().toFloatVector();
        double moved = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 + 1e-5 * Math.abs(want[i]), "parameter " + i);
            moved = Math.max(moved, Math.abs(want[i] - start[i]));
        }
        assertTrue(!moves || moved > 1e-2, "training must move the parameters (max change " + moved + ")");
    }
}
