package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import java.util.Map;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The network's updaters cut at arbitrary shard boundaries compute exactly what they compute on the whole flat vector
 * (bit-identical, tolerance 0): the per-block updaters (Adam, Nesterovs, RmsProp), l2 before and weight decay after
 * the updater are element-wise. Cuts fall inside parameters and inside updater blocks.
 */
class ShardUpdaterTest {

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {2, 3, 5, 7})
    void shardsComputeWhatTheWholeComputes(int shards) {
        MultiLayerNetwork net = TestNets.denseMln(3);
        FlatLayout layout = FlatLayout.of(net);
        int n = (int) layout.length();
        INDArray params = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, n).subi(0.5);
        INDArray wholeParams = params.dup();
        INDArray wholeGrad = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n);
        ShardUpdater whole = ShardUpdater.forShard(layout, 0, n, wholeParams, wholeGrad);
        INDArray shardParams = params.dup();
        INDArray shardGrad = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n);
        ShardUpdater[] parts = new ShardUpdater[shards];
        for (int k = 0; k < shards; k++) {
            int lo = n * k / shards;
            int hi = n * (k + 1) / shards;
            parts[k] = ShardUpdater.forShard(layout, lo, hi, ShardUpdater.slice(shardParams, lo, hi),
                    ShardUpdater.slice(shardGrad, lo, hi));
        }
        Random r = new Random(shards);
        for (int it = 0; it < 5; it++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) r.nextGaussian();
            }
            wholeGrad.assign(Nd4j.createFromArray(g));
            shardGrad.assign(Nd4j.createFromArray(g));
            whole.gradientToUpdate(it, 0);
            for (ShardUpdater p : parts) {
                p.gradientToUpdate(it, 0);
            }
            assertArrayEquals(wholeGrad.toFloatVector(), shardGrad.toFloatVector(), "update at iteration " + it);
            wholeParams.subi(wholeGrad);
            shardParams.subi(shardGrad);
        }
        long stateSum = 0;
        for (ShardUpdater p : parts) {
            stateSum += p.state() == null ? 0 : p.state().length();
        }
        assertEquals(whole.state().length(), stateSum, "the shards' state partitions the whole state");
    }

    /** A subclass of an ND4J updater might not be element-wise: sharding it is refused, naming the layer. */
    @Test
    void unknownUpdaterClassCannotBeSharded() {
        MultiLayerNetwork net = TestNets.sgdMln(1, new CustomSgd());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardUpdater.requireShardable(FlatLayout.of(net), 2));
        assertTrue(e.getMessage().contains("zero_optimization.stage: 2") && e.getMessage().contains("CustomSgd")
                && e.getMessage().contains("use stage 0"), e.getMessage());
        ShardUpdater.requireShardable(FlatLayout.of(TestNets.denseMln(1)), 2); // ND4J's own: accepted
    }

    /** A user-defined updater (here plain SGD underneath): the engine cannot know it is element-wise. */
    static final class CustomSgd implements IUpdater {
        private static final long serialVersionUID = 1L;
        private final Sgd inner = new Sgd(0.1);

        @Override
        public long stateSize(long numParams) {
            return inner.stateSize(numParams);
        }

        @Override
        public GradientUpdater instantiate(INDArray viewArray, boolean initialize) {
            return inner.instantiate(viewArray, initialize);
        }

        @Override
        public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
            return inner.instantiate(state, initialize);
        }

        @Override
        public IUpdater clone() {
            return new CustomSgd();
        }

        @Override
        public double getLearningRate(int iteration, int epoch) {
            return inner.getLearningRate(iteration, epoch);
        }

        @Override
        public boolean hasLearningRate() {
            return true;
        }

        @Override
        public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
            inner.setLrAndSchedule(lr, lrSchedule);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CustomSgd;
        }

        @Override
        public int hashCode() {
            return 7;
        }
    }
}
