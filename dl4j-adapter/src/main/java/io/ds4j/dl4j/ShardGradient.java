package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient of one shard {@code [lo, hi)} between reduction and the updater: averaging, DeepSpeed's global-norm
 * clipping and DL4J's per-layer gradient normalization.
 *
 * <p>Norms that span shards are computed in two phases so that any number of ranks gives the same answer: each rank
 * returns its partial sums of squares ({@link #clipSumOfSquares()}, {@link #normalizationSumsOfSquares()}), the
 * caller sums them over ranks, and passes the totals back. For a shard that covers a whole layer the result is the
 * same float norm DL4J computes (a float squared and square-rooted in double is exact).
 */
public final class ShardGradient {

    /** A contiguous run of the shard, relative to {@code lo}. */
    private record Run(INDArray view, boolean divided, boolean frozen) { }

    /** A norm group of DL4J's gradient normalization: the pieces of one layer (or one parameter) in this shard. */
    private record Group(GradientNormalization kind, double threshold, INDArray piece) { }

    private final List<Run> runs = new ArrayList<>();
    private final List<Group> groups = new ArrayList<>();
    private final List<INDArray> elementClips = new ArrayList<>();
    private final List<Double> elementThresholds = new ArrayList<>();

    /**
     * @param layout the network's layout
     * @param lo first flat index of the shard
     * @param hi one past the last flat index
     * @param grads the shard's gradient ({@code hi - lo} elements), modified in place
     */
    public ShardGradient(FlatLayout layout, long lo, long hi, INDArray grads) {
        this(layout, lo, hi, grads, false);
    }

    /**
     * @param layout the network's layout
     * @param lo first flat index of the shard
     * @param hi one past the last flat index
     * @param grads the shard's gradient ({@code hi - lo} elements), modified in place
     * @param dl4jUpdaters true when the network's own DL4J updaters make the step: only parameters of frozen layers
     *     get a zero gradient ({@link FlatLayout.Slot#inFrozenLayer()}), a {@code NoOp} parameter keeps its gradient
     *     as DL4J's {@code fit()} does; false (a DeepSpeed optimizer): every {@link FlatLayout.Slot#frozen()} one
     */
    public ShardGradient(FlatLayout layout, long lo, long hi, INDArray grads, boolean dl4jUpdaters) {
        INDArray g = ShardUpdater.flat(grads);
        for (FlatLayout.Slot s : layout.slots()) {
            INDArray piece = piece(g, lo, hi, s.start(), s.end());
            if (piece != null) {
                runs.add(new Run(piece, s.dividedByMinibatch(), dl4jUpdaters ? s.inFrozenLayer() : s.frozen()));
            }
        }
        List<FlatLayout.Slot> slots = layout.slots();
        int i = 0;
        while (i < slots.size()) {
            Trainable layer = slots.get(i).layer();
            int j = i;
            while (j < slots.size() && slots.get(j).layer() == layer) {
                j++;
            }
            addGroups(layer, slots.subList(i, j), g, lo, hi);
            i = j;
        }
    }

    private void addGroups(Trainable layer, List<FlatLayout.Slot> slots, INDArray g, long lo, long hi) {
        GradientNormalization kind = layer.getConfig().getGradientNormalization();
        double t = layer.getConfig().getGradientNormalizationThreshold();
        if (kind == null || kind == GradientNormalization.None) {
            return;
        }
        long start = slots.get(0).start();
        long end = slots.get(slots.size() - 1).end();
        switch (kind) {
            case RenormalizeL2PerLayer, ClipL2PerLayer -> groups.add(new Group(kind, t, piece(g, lo, hi, start, end)));
            case RenormalizeL2PerParamType, ClipL2PerParamType -> {
                for (FlatLayout.Slot s : slots) {
                    groups.add(new Group(kind, t, piece(g, lo, hi, s.start(), s.end())));
                }
            }
            case ClipElementWiseAbsoluteValue -> {
                INDArray p = piece(g, lo, hi, start, end);
                if (p != null) {
                    elementClips.add(p);
                    elementThresholds.add(t);
                }
            }
            default -> throw new IllegalArgumentException("gradientNormalization: " + kind + " of layer "
                    + layer.getConfig().getLayerName() + " cannot be sharded; use a DL4J GradientNormalization"
                    + " value from RenormalizeL2PerLayer, RenormalizeL2PerParamType, ClipElementWiseAbsoluteValue,"
                    + " ClipL2PerLayer, ClipL2PerParamType or None");
        }
    }

    private static INDArray piece(INDArray g, long lo, long hi, long start, long end) {
        long from = Math.max(lo, start);
        long to = Math.min(hi, end);
        return from < to ? ShardUpdater.slice(g, from - lo, to - lo) : null;
    }

    /**
     * Turns the reduced gradient into DL4J's average: parameters whose gradient DL4J divides by the minibatch size
     * are divided by {@code samples}; the others (running statistics such as BatchNorm's mean and variance, whose
     * "gradient" is an update) by {@code contributions}, the number of micro-batch updates summed into them. Frozen
     * parameters ({@link FlatLayout.Slot#frozen()}) get a zero gradient, so that they count in no norm.
     *
     * @param samples the number of examples behind the summed gradient (the minibatch size for one rank)
     * @param contributions how many micro-batch updates were summed
     */
    public void average(double samples, double contributions) {
        for (Run r : runs) {
            if (r.frozen()) {
                // a frozen parameter has no gradient (FrozenLayerWithBackprop's inner layer fills one)
                r.view().assign(0);
                continue;
            }
            double d = r.divided() ? samples : contributions;
            if (d != 1.0) {
                r.view().divi(d);
            }
        }
    }

    /** @return this shard's part of the squared global gradient norm (only true gradients, not running stats) */
    public double clipSumOfSquares() {
        double sum = 0;
        for (Run r : runs) {
            if (r.divided()) {
                double n = r.view().norm2Number().doubleValue();
                sum += n * n;
            }
        }
        return sum;
    }

    /**
     * Multiplies the true gradients (not running statistics) by {@code factor}.
     *
     * @param factor the clipping factor
     */
    public void scale(double factor) {
        if (factor == 1.0) {
            return;
        }
        for (Run r : runs) {
            if (r.divided()) {
                r.view().muli(factor);
            }
        }
    }

    /** @return for each norm group of DL4J's gradient normalization, this shard's sum of squares (0 if absent) */
    public double[] normalizationSumsOfSquares() {
        double[] out = new double[groups.size()];
        for (int k = 0; k < out.length; k++) {
            INDArray p = groups.get(k).piece();
            double n = p == null ? 0.0 : p.norm2Number().doubleValue();
            out[k] = n * n;
        }
        return out;
    }

    /**
     * Applies DL4J's gradient normalization given the totals of {@link #normalizationSumsOfSquares()} over ranks.
     *
     * @param totals the sums over every rank, same order and length
     */
    public void normalize(double[] totals) {
        for (int k = 0; k < groups.size(); k++) {
            Group gr = groups.get(k);
            if (gr.piece() == null) {
                continue;
            }
            double l2 = Math.sqrt(totals[k]);
            switch (gr.kind()) {
                case RenormalizeL2PerLayer, RenormalizeL2PerParamType -> gr.piece().divi(l2 == 0.0 ? 1e-5 : l2);
                case ClipL2PerLayer -> {
                    if (l2 > gr.threshold()) {
                        gr.piece().muli(gr.threshold() / l2);
                    }
                }
                case ClipL2PerParamType -> {
                    if (l2 > gr.threshold()) {
                        gr.piece().divi(l2 / gr.threshold());
                    }
                }
                default -> throw new IllegalStateException("unexpected normalization " + gr.kind());
            }
        }
        for (int k = 0; k < elementClips.size(); k++) {
            double t = elementThresholds.get(k);
            CustomOp op = DynamicCustomOp.builder("clipbyvalue").addInputs(elementClips.get(k)).callInplace(true)
                    .addFloatingPointArguments(-t, t).build();
            Nd4j.getExecutioner().exec(op);
        }
    }

    /** @return the number of norm groups (the length {@link #normalize} expects) */
    public int normalizationGroups() {
        return groups.size();
    }
}
