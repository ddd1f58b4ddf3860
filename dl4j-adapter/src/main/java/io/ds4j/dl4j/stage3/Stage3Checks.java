package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.ShardUpdater;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * What a {@link Stage3Trainer} refuses before it partitions a network or runs a step, each with the setting and the
 * fix: a network that is not initialised or not FLOAT, DL4J gradient normalization, a layer whose updater cannot run
 * on a shard, masks, and micro-batch lists that do not give every rank the same number.
 */
final class Stage3Checks {
    private Stage3Checks() {
    }

    /** @return the layout of an initialised FLOAT network that stage 3 can partition */
    static FlatLayout network(Model net) {
        if (net.params() == null) {
            throw new IllegalArgumentException("network: not initialised; call net.init() before ZeRO stage 3 (only a"
                    + " MultiLayerNetwork can be built partitioned without init())");
        }
        if (net.params().dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("network data type: " + net.params().dataType()
                    + " is not supported by ZeRO stage 3 yet; build the network with dataType(DataType.FLOAT)");
        }
        FlatLayout layout = FlatLayout.of(net);
        layers(layout);
        return layout;
    }

    /** Refuses DL4J gradient normalization and layers whose updaters cannot step a shard. */
    static void layers(FlatLayout layout) {
        for (FlatLayout.Slot s : layout.slots()) {
            GradientNormalization g = s.layer().getConfig().getGradientNormalization();
            if (g != null && g != GradientNormalization.None) {
                throw new IllegalArgumentException("layer " + s.layer().getConfig().getLayerName()
                        + " gradientNormalization: " + g + " is not supported by ZeRO stage 3 yet; use "
                        + "GradientNormalization.None, or stage 0-2");
            }
        }
        ShardUpdater.requireShardable(layout, 3);
    }

    /**
     * @param perRank the micro-batches of this JVM's ranks
     * @param here    this JVM's ranks
     * @return micro-batches per rank (the accumulation steps)
     */
    static int microBatches(List<List<MultiDataSet>> perRank, int here) {
        if (perRank.size() != here) {
            throw new IllegalArgumentException("micro-batches for " + perRank.size() + " ranks, this JVM has "
                    + here + "; pass one list per rank");
        }
        int gas = perRank.get(0).size();
        for (List<MultiDataSet> mine : perRank) {
            if (mine.size() != gas || gas == 0) {
                throw new IllegalArgumentException("every rank needs the same number (>= 1) of micro-batches, got "
                        + perRank.stream().map(List::size).toList());
            }
            for (MultiDataSet m : mine) {
                if (m.hasMaskArrays()) {
                    throw new IllegalArgumentException("feature/label masks are not supported by ZeRO stage 3 yet;"
                            + " train without masks, or use zero_optimization.stage 0-2");
                }
            }
        }
        return gas;
    }
}
