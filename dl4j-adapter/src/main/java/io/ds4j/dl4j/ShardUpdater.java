package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The network's own DL4J updaters applied to one shard {@code [lo, hi)} of the flat vector, with DL4J's exact
 * semantics: per updater block (clipped to the shard) the "before updater" regularization (l1, l2) is added to the
 * gradient, the block's {@link IUpdater} turns the gradient into an update in place, then the "after updater"
 * regularization (weight decay) is added. The caller subtracts the update from the parameters, as DL4J's
 * {@code StochasticGradientDescent} does.
 *
 * <p>Every DL4J updater is element-wise, so an updater instantiated on the shard's part of a block computes exactly
 * what the whole block's updater computes for those elements. The optimizer state of the shard is laid out segment
 * after segment, each segment the intersection of the shard with one DL4J block; for the whole vector this is DL4J's
 * own updater state layout, which {@link #onDl4jState} relies on.
 */
public final class ShardUpdater {

    private record Part(FlatLayout.Slot slot, INDArray params, INDArray grads) { }

    private record Segment(GradientUpdater<?> updater, INDArray grads, List<Part> parts, boolean pretrain) { }

    /** The shard's arrays; {@code state == null} means "allocate fresh, zeroed state". */
    private record Arrays(INDArray params, INDArray grads, INDArray state) { }

    private final List<Segment> segments = new ArrayList<>();
    private final INDArray state;
    private final long lo;
    private final long hi;

    private ShardUpdater(FlatLayout layout, long lo, long hi, Arrays arrays) {
        INDArray params = arrays.params();
        INDArray grads = arrays.grads();
        INDArray dl4jState = arrays.state();
        checkRange(layout, lo, hi, params, grads);
        this.lo = lo;
        this.hi = hi;
        long stateLen = stateLength(layout, lo, hi);
        boolean fresh = dl4jState == null;
        if (stateLen == 0) {
            state = null;
        } else if (fresh) {
            state = Nd4j.zeros(params.dataType(), stateLen);
        } else if (dl4jState.length() != stateLen) {
            throw new IllegalArgumentException("updater state has " + dl4jState.length() + " elements but the layout"
                    + " needs " + stateLen + "; pass the network's own DL4J updater state");
        } else {
            state = dl4jState.reshape(dl4jState.length());
        }
        long stateOffset = 0;
        for (FlatLayout.Block b : layout.blocks()) {
            long from = Math.max(lo, b.start());
            long to = Math.min(hi, b.end());
            if (from >= to) {
                continue;
            }
            long sl = b.updater().stateSize(to - from);
            INDArray view = sl == 0 ? null : state.get(NDArrayIndex.interval(stateOffset, stateOffset + sl));
            stateOffset += sl;
            GradientUpdater<?> gu = b.updater().instantiate(view, fresh);
            segments.add(new Segment(gu, slice(grads, from - lo, to - lo), parts(b, lo, hi, params, grads),
                    b.slots().get(0).layer().getConfig().isPretrainParam(b.slots().get(0).name())));
        }
    }

    /**
     * An updater for the shard {@code [lo, hi)} with its own, zero-initialised optimizer state.
     *
     * @param layout the network's layout
     * @param lo first flat index of the shard
     * @param hi one past the last flat index of the shard (at most {@code layout.length()})
     * @param params the shard's parameters, {@code hi - lo} elements (a view the caller updates)
     * @param grads the shard's gradient, {@code hi - lo} elements; turned into the update in place
     * @return the shard updater
     */
    public static ShardUpdater forShard(FlatLayout layout, long lo, long hi, INDArray params, INDArray grads) {
        return new ShardUpdater(layout, lo, hi, new Arrays(flat(params), flat(grads), null));
    }

    /**
     * An updater for the whole flat vector that keeps its state in the network's own DL4J updater state array (so
     * DL4J serialises it with the model and training can resume with a plain DL4J updater).
     *
     * @param layout the network's layout
     * @param params the network's flat parameters
     * @param grads the network's flat gradient view
     * @param dl4jState DL4J's updater state array for the same network (already initialised)
     * @return the updater
     */
    public static ShardUpdater onDl4jState(FlatLayout layout, INDArray params, INDArray grads, INDArray dl4jState) {
        long need = stateLength(layout, 0, layout.length());
        if (need > 0 && dl4jState == null) {
            throw new IllegalArgumentException("the network's updaters need " + need
                    + " state elements but DL4J's updater state is null; call net.init() first");
        }
        return new ShardUpdater(layout, 0, layout.length(),
                new Arrays(flat(params), flat(grads), need == 0 ? Nd4j.empty(params.dataType()) : dl4jState));
    }

    /**
     * Checks that every updater of the network can be cut at shard boundaries: ND4J's own updaters
     * ({@code org.nd4j.linalg.learning.config}) are element-wise; another class may not be.
     *
     * @param layout the network's layout
     * @param stage the ZeRO stage asking (for the message)
     * @throws IllegalArgumentException naming the layer, the parameter, the updater class and the fix
     */
    public static void requireShardable(FlatLayout layout, int stage) {
        for (FlatLayout.Block b : layout.blocks()) {
            String pkg = b.updater().getClass().getPackageName();
            if (!pkg.equals("org.nd4j.linalg.learning.config")) {
                FlatLayout.Slot s = b.slots().get(0);
                throw new IllegalArgumentException("zero_optimization.stage: " + stage + " shards the updater of layer "
                        + s.layer().getConfig().getLayerName() + " parameter " + s.name() + ", but its class "
                        + b.updater().getClass().getName() + " is not one of ND4J's element-wise updaters; use stage 0,"
                        + " or an updater from org.nd4j.linalg.learning.config");
            }
        }
    }

    /**
     * Optimizer-state elements the shard needs.
     *
     * @param layout the network's layout
     * @param lo first flat index
     * @param hi one past the last flat index
     * @return the sum over the shard's block segments of {@code IUpdater.stateSize(segment length)}
     */
    public static long stateLength(FlatLayout layout, long lo, long hi) {
        long n = 0;
        for (FlatLayout.Block b : layout.blocks()) {
            long len = Math.min(hi, b.end()) - Math.max(lo, b.start());
            if (len > 0) {
                n += b.updater().stateSize(len);
            }
        }
        return n;
    }

    /**
     * Turns the (averaged, normalised) shard gradient into the update, in place.
     *
     * @param iteration DL4J's iteration count (number of updates so far)
     * @param epoch DL4J's epoch count
     */
    public void gradientToUpdate(int iteration, int epoch) {
        for (Segment s : segments) {
            if (s.pretrain()) {
                continue; // DL4J leaves layer-wise pretraining parameters alone during backprop training
            }
            double lr = s.updater().getConfig().hasLearningRate()
                    ? s.updater().getConfig().getLearningRate(iteration, epoch) : 1.0;
            regularize(s, Regularization.ApplyStep.BEFORE_UPDATER, lr, iteration, epoch);
            s.updater().applyUpdater(s.grads(), iteration, epoch);
            regularize(s, Regularization.ApplyStep.POST_UPDATER, lr, iteration, epoch);
        }
    }

    /**
     * Points the regularization (l1, l2, weight decay read the parameters) at {@code params}, the same
     * {@code hi - lo} elements in another array: for a shard whose parameters are staged into a temporary array for
     * each step (ZeRO-3 with {@code offload_param}). The gradient views and the state stay.
     *
     * @param params the shard's parameters, {@code hi - lo} elements
     */
    public void bindParams(INDArray params) {
        INDArray p = flat(params);
        if (p.length() != hi - lo) {
            throw new IllegalArgumentException("shard [" + lo + ", " + hi + ") has " + (hi - lo)
                    + " elements but params has " + p.length());
        }
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            List<Part> parts = new ArrayList<>();
            for (Part part : s.parts()) {
                long from = Math.max(lo, part.slot().start());
                long to = Math.min(hi, part.slot().end());
                parts.add(new Part(part.slot(), slice(p, from - lo, to - lo), part.grads()));
            }
            segments.set(i, new Segment(s.updater(), s.grads(), parts, s.pretrain()));
        }
    }

    /** @return the shard's optimizer state (a flat array), or null when its updaters keep no state */
    public INDArray state() {
        return state;
    }

    private static void regularize(Segment s, Regularization.ApplyStep step, double lr, int iter, int epoch) {
        for (Part p : s.parts()) {
            List<Regularization> regs = p.slot().layer().getConfig().getRegularizationByParam(p.slot().name());
            if (regs == null) {
                continue;
            }
            for (Regularization r : regs) {
                if (r.applyStep() == step) {
                    r.apply(p.params(), p.grads(), lr, iter, epoch);
                }
            }
        }
    }

    private static List<Part> parts(FlatLayout.Block b, long lo, long hi, INDArray params, INDArray grads) {
        List<Part> out = new ArrayList<>();
        for (FlatLayout.Slot s : b.slots()) {
            long from = Math.max(lo, s.start());
            long to = Math.min(hi, s.end());
            if (from < to) {
                out.add(new Part(s, slice(params, from - lo, to - lo), slice(grads, from - lo, to - lo)));
            }
        }
        return out;
    }

    private static void checkRange(FlatLayout layout, long lo, long hi, INDArray params, INDArray grads) {
        if (lo < 0 || hi > layout.length() || lo > hi) {
            throw new IllegalArgumentException("shard [" + lo + ", " + hi + ") is outside the flat vector [0, "
                    + layout.length() + ")");
        }
        if (params.length() != hi - lo || grads.length() != hi - lo) {
            throw new IllegalArgumentException("shard [" + lo + ", " + hi + ") has " + (hi - lo)
                    + " elements but params has " + params.length() + " and grads " + grads.length());
        }
    }

    static INDArray flat(INDArray a) {
        return a.rank() == 1 ? a : a.reshape(a.length());
    }

    static INDArray slice(INDArray flat, long from, long to) {
        return flat.get(NDArrayIndex.interval(from, to));
    }
}
