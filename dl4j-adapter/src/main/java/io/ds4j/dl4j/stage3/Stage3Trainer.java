package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.ParamHome;
import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.dl4j.RankPrecision;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.PartitionedConstruction;
import io.ds4j.dl4j.RankErrors;
import io.ds4j.dl4j.ShardUpdater;
import io.ds4j.dl4j.precision.ExampleWeight;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.RankThreads;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.step.GradientClipping;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * ZeRO stage 3 data-parallel training of a {@link MultiLayerNetwork} or {@link ComputationGraph} on
 * {@code worldSize} in-process ranks (fp32, or fp16/bf16 with fp32 master shards), or on this process's one rank when
 * ranks are processes ({@code group} holds one {@code Collectives} whose {@code worldSize()} is the job's): every
 * process then runs a trainer on its own micro-batches and {@link #writeParamsTo} gathers the full model in each.
 * Each rank keeps only its shards of the parameters between steps; layers gather their parameters just before they
 * run and release them after, as the stage-3 knobs say (see the package documentation).
 *
 * <p>Each rank runs on one thread of its own ({@link RankThreads}) from {@code create} to {@link #close()}, so what
 * libraries keep per thread (SameDiff's inference session, the OpenMP team size that {@link #onEachRank} may set)
 * is made once, not once per step. A configuration or input error raised inside a rank is thrown as that error
 * ({@link RankErrors}).
 *
 * <p>Call order: {@link #fit(DataSet)} once per global batch (its size divisible by the world size); then
 * {@link #copyParamsTo(Model)} to gather the full model into a network (DeepSpeed's
 * {@code stage3_gather_16bit_weights_on_model_save}, here in fp32); {@link #close()} at the end.
 */
public final class Stage3Trainer implements AutoCloseable {
    private final List<Collectives> comms;
    private final List<RankBase> ranks; // this JVM's ranks, from rank firstRank on (one when ranks are processes)
    private final int firstRank;
    private final int worldSize;
    private final RankThreads threads;
    private final long numParams;
    private final int accumulation;
    private final GradientClipping clipping;
    private double lastNorm = Double.NaN;
    private int iteration;
    private int epoch;
    private double score = Double.NaN;

    private Stage3Trainer(List<Collectives> comms, List<RankBase> ranks, RankThreads threads, long numParams,
                          Stage3Numerics numerics) {
        this.accumulation = numerics.accumulation();
        this.clipping = numerics.clipping();
        this.comms = comms;
        this.ranks = ranks;
        this.firstRank = comms.get(0).rank();
        this.worldSize = comms.get(0).worldSize();
        this.threads = threads;
        this.numParams = numParams;
    }

    /**
     * Partitions {@code net}'s current parameters over {@code worldSize} ranks. The network itself is left as it is;
     * the ranks never hold its full flat vector.
     *
     * @param net       an initialised fp32 network
     * @param knobs     the stage-3 knobs
     * @param worldSize ranks, {@code >= 1}
     * @return the trainer
     */
    public static Stage3Trainer create(MultiLayerNetwork net, ZeroStage3Config knobs, int worldSize) {
        return create(net, knobs, InProcessCollectives.create(worldSize, Duration.ofMinutes(5)));
    }

    /**
     * Partitions {@code net} over an existing group of ranks (one handle per rank, index r for rank r), e.g. the
     * group of an engine that already owns its collectives.
     *
     * @param net   an initialised fp32 {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param knobs the stage-3 knobs
     * @param group the ranks' collectives
     * @return the trainer
     */
    public static Stage3Trainer create(Model net, ZeroStage3Config knobs, List<? extends Collectives> group) {
        return create(net, knobs, OffloadParamConfig.none(), group);
    }

    /**
     * As {@link #create(Model, ZeroStage3Config, List)}, with the parameter shards where
     * {@code zero_optimization.offload_param} says (see {@link ParamHome}): on the host for {@code cpu}, in files in
     * a new directory per rank under {@code nvme_path} for {@code nvme} (deleted by {@link #close()}).
     *
     * @param net     an initialised fp32 {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param knobs   the stage-3 knobs
     * @param offload {@code offload_param}
     * @param group   the ranks' collectives
     * @return the trainer
     * @throws IllegalArgumentException naming {@code zero_optimization.offload_param.nvme_path} when it is unusable
     */
    public static Stage3Trainer create(Model net, ZeroStage3Config knobs, OffloadParamConfig offload,
                                       List<? extends Collectives> group) {
        return create(net, knobs, offload, group, Stage3Numerics.fp32());
    }

    /**
     * As {@link #create(Model, ZeroStage3Config, OffloadParamConfig, List)} with DeepSpeed's {@code fp16} or
     * {@code bf16} (see {@link RankPrecision}): the shards the gathers read hold 16-bit values (2 B per element),
     * the optimizer updates an fp32 master shard, fp16 scales the loss in each rank's own copy of the output layers,
     * and a step whose gradients overflow on any rank is skipped. The network computes in FLOAT. With a
     * {@link PiecewiseShardUpdate} (a DeepSpeed {@code optimizer} section) that kernel updates the fp32 master shards
     * instead of the network's DL4J updaters.
     *
     * @param numerics the precision and the optimizer ({@link Stage3Numerics#fp32()} for plain fp32 and DL4J's)
     */
    public static Stage3Trainer create(Model net, ZeroStage3Config knobs, OffloadParamConfig offload,
                                       List<? extends Collectives> group, Stage3Numerics numerics) {
        if (PartitionedConstruction.applies(net)) {
            return createPartitioned((MultiLayerNetwork) net, knobs, offload, group, numerics);
        }
        FlatLayout layout = check(net);
        long shardBytes = 4L * ((net.numParams() + world(group) - 1) / world(group));
        Ranks.Body<RankBase> make;
        if (net instanceof MultiLayerNetwork m) {
            make = c -> withHome(offload, c, shardBytes, numerics, e -> new Stage3Rank(m, layout, knobs, e));
        } else if (net instanceof ComputationGraph g) {
            make = c -> withHome(offload, c, shardBytes, numerics, e -> new GraphRank(g, layout, knobs, e));
        } else {
            throw new IllegalArgumentException("model: " + net.getClass().getName() + " is not supported; pass a "
                    + "MultiLayerNetwork or a ComputationGraph");
        }
        Stage3Trainer t = start(group, make, net.numParams(), numerics);
        if (net instanceof MultiLayerNetwork m) {
            t.iteration = m.getIterationCount();
            t.epoch = m.getEpochCount();
        } else {
            t.iteration = ((ComputationGraph) net).getIterationCount();
            t.epoch = ((ComputationGraph) net).getEpochCount();
        }
        return t;
    }

    /**
     * Partitioned construction of a {@link MultiLayerNetwork} that is not initialised (DeepSpeed's {@code zero.Init},
     * see {@link PartitionedConstruction}): every rank draws each layer's initial values as {@code init()} would and
     * keeps only its shards, so the full flat vector never exists. {@link #copyParamsTo} or {@link #writeParamsTo}
     * fill an initialised network of the same configuration when the user asks for the full model.
     */
    private static Stage3Trainer createPartitioned(MultiLayerNetwork net, ZeroStage3Config knobs,
                                                   OffloadParamConfig offload, List<? extends Collectives> group,
                                                   Stage3Numerics numerics) {
        MultiLayerConfiguration prepared = PartitionedConstruction.prepared(net.getLayerWiseConfigurations());
        checkLayers(FlatLayout.of(net)); // a skeleton's layout: one layer-sized array, garbage after the checks
        long psi = PartitionedConstruction.numParams(prepared);
        long shardBytes = 4L * ((psi + world(group) - 1) / world(group));
        Stage3Trainer t = start(group, c -> withHome(offload, c, shardBytes, numerics,
                e -> new Stage3Rank(prepared, knobs, e)), psi, numerics);
        t.iteration = net.getIterationCount();
        t.epoch = net.getEpochCount();
        return t;
    }

    /** The world size: {@code group} holds all ranks, or (ranks as processes) this process's one. */
    private static long world(List<? extends Collectives> group) {
        return group.get(0).worldSize();
    }

    /** Builds one rank per member of {@code group}, each on its own thread; nothing stays open if one fails. */
    private static Stage3Trainer start(List<? extends Collectives> group, Ranks.Body<RankBase> make, long numParams,
                                       Stage3Numerics numerics) {
        List<RankBase> built = java.util.Collections.synchronizedList(new ArrayList<>());
        List<RankBase> ranks;
        RankThreads threads = RankThreads.start(group);
        try {
            ranks = RankErrors.run(threads, c -> {
                RankBase r = make.run(c);
                built.add(r);
                return r;
            });
        } catch (RuntimeException e) {
            built.forEach(RankBase::close); // ranks that did build: their offload files
            threads.close();
            throw e;
        }
        return new Stage3Trainer(List.copyOf(group), new ArrayList<>(ranks), threads, numParams, numerics);
    }

    /** The global gradient norm of the last step before clipping (NaN before the first). */
    public double lastGradientNorm() {
        return lastNorm;
    }

    /** {@link #create(MultiLayerNetwork, ZeroStage3Config, int)} for a {@link ComputationGraph}. */
    public static Stage3Trainer create(ComputationGraph net, ZeroStage3Config knobs, int worldSize) {
        return create(net, knobs, InProcessCollectives.create(worldSize, Duration.ofMinutes(5)));
    }

    private static RankBase withHome(OffloadParamConfig offload, Collectives c, long bytes, Stage3Numerics n,
                                     java.util.function.Function<RankBase.RankEnv, RankBase> make) {
        ParamHome home = ParamHome.of(offload, c.rank(), bytes);
        try {
            return make.apply(new RankBase.RankEnv(c, home, new RankPrecision(n.precision(), c.rank()),
                    n.optimizer()));
        } catch (RuntimeException e) {
            home.close();
            throw e;
        }
    }

    private static FlatLayout check(Model net) {
        if (net.params() == null) {
            throw new IllegalArgumentException("network: not initialised; call net.init() before ZeRO stage 3 (only a"
                    + " MultiLayerNetwork can be built partitioned without init())");
        }
        if (net.params().dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("network data type: " + net.params().dataType()
                    + " is not supported by ZeRO stage 3 yet; build the network with dataType(DataType.FLOAT)");
        }
        FlatLayout layout = FlatLayout.of(net);
        checkLayers(layout);
        return layout;
    }

    private static void checkLayers(FlatLayout layout) {
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
     * One optimizer step on a global batch: rank r computes on examples {@code [r B/N, (r+1) B/N)}, in
     * {@link Stage3Numerics#accumulation} consecutive micro-batches.
     *
     * @return DL4J's score of the global batch (mean over ranks of the micro-batch scores)
     */
    public double fit(DataSet globalBatch) {
        return fit(new org.nd4j.linalg.dataset.MultiDataSet(globalBatch.getFeatures(), globalBatch.getLabels()));
    }

    /** {@link #fit(DataSet)} for several inputs and outputs (a ComputationGraph's). */
    public double fit(MultiDataSet globalBatch) {
        List<List<MultiDataSet>> perRank = ContiguousSplit.perRank(globalBatch, worldSize, accumulation)
                .subList(firstRank, firstRank + ranks.size()); // ranks as processes: this process's part
        return fit(perRank, globalBatch.getFeatures(0).size(0), iteration, epoch);
    }

    /**
     * One optimizer step on micro-batches the caller has already split (the engine's split, see
     * {@code io.ds4j.dl4j.ZeroTrainer}): rank r runs {@code perRank.get(r)} one after the other, accumulating each
     * one's reduce-scattered gradient, then every rank steps. Every rank must get the same number of micro-batches.
     * Sets the iteration count to {@code iteration + 1}.
     *
     * @param perRank   each rank's micro-batches (no masks), index i for this JVM's i-th rank (rank
     *                  {@code firstRank + i}; with ranks as processes, one list: this process's)
     * @param examples  examples in the global batch (DL4J's average divides by it)
     * @param iteration DL4J's iteration count of this step (learning-rate schedules)
     * @param epoch     DL4J's epoch count
     * @return DL4J's score of the global batch (the micro-batch scores weighted by their examples, as stages 0-2)
     */
    public double fit(List<List<MultiDataSet>> perRank, long examples, int iteration, int epoch) {
        int world = worldSize;
        int gas = checkMicroBatches(perRank, ranks.size());
        GradientClipping clip = clipping;
        double[] norm = new double[1];
        long drawn = io.ds4j.dl4j.RankRandom.draw();
        boolean processes = ranks.size() < world;
        List<Double> scores = onEachRank(c -> {
            long seed = processes ? io.ds4j.dl4j.RankRandom.rankZeros(c, drawn) : drawn; // one base for all ranks
            io.ds4j.dl4j.RankRandom.seedThisThread(seed, c.rank()); // dropout masks: reproducible, one stream a rank
            RankBase r = ranks.get(c.rank() - firstRank);
            double s = 0;
            for (MultiDataSet m : perRank.get(c.rank() - firstRank)) {
                long size = m.getFeatures(0).size(0);
                s += size * r.run(m.getFeatures(), m.getLabels(), ExampleWeight.of(size, world * gas, examples));
            }
            double n = r.step(Math.toIntExact(examples), world * gas, clip, iteration, epoch);
            if (c.rank() == firstRank) {
                norm[0] = n;
            }
            return c.allReduceSum(s) / examples;
        });
        this.iteration = lastStepSkipped() ? iteration : iteration + 1; // a skipped step advances nothing
        this.epoch = epoch;
        lastNorm = norm[0];
        score = scores.get(0);
        return score;
    }

    private static int checkMicroBatches(List<List<MultiDataSet>> perRank, int here) {
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

    /** Gathers the full parameters into {@code net} (same architecture) and sets its iteration count. */
    public void copyParamsTo(Model net) {
        writeParamsTo(net);
        if (net instanceof MultiLayerNetwork m) {
            m.setIterationCount(iteration);
        } else if (net instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iteration);
        }
    }

    /**
     * Writes the full parameters (the fp32 master values, also in mixed precision) into {@code net}'s flat parameter
     * vector, one parameter after the other, so no rank holds more than one full parameter at a time; the network's
     * iteration count is left as it is.
     *
     * @param net a network of the same configuration
     */
    public void writeParamsTo(Model net) {
        if (net.numParams() != numParams) {
            throw new IllegalArgumentException("network has " + net.numParams() + " parameters, the trainer "
                    + numParams + "; pass a network of the same configuration");
        }
        INDArray flat = net.params();
        onEachRank(c -> {
            ranks.get(c.rank() - firstRank).gatherInto(c.rank() == firstRank ? flat : null); // one per process
            return null;
        });
    }

    /**
     * Runs {@code body} on every rank's own thread (the threads {@code fit} runs on, the same for the trainer's life)
     * and waits for all of them; e.g. to set a per-thread native setting such as the OpenMP team size.
     *
     * @return the results, index r for rank r
     * @throws IllegalArgumentException or {@link io.ds4j.config.DeepSpeedConfigException} raised by a rank, as is
     * @throws Ranks.RankFailedException naming the rank for any other failure
     */
    public <T> List<T> onEachRank(Ranks.Body<T> body) {
        return RankErrors.run(threads, body);
    }

    /** @return whether the last step overflowed (any Inf or NaN on any rank) and was skipped; false in fp32 */
    public boolean lastStepSkipped() {
        return !ranks.isEmpty() && ranks.get(0).precision().lastSkipped();
    }

    /** @return the loss scale of the next step (every rank's is the same); 1, never changing, without fp16 */
    public io.ds4j.precision.LossScale lossScale() {
        return ranks.get(0).precision().scale();
    }

    /**
     * @return the fraction of stored-gradient elements, over every rank's micro-batches so far, that were non-zero in
     *         fp32 and became zero when rounded to the 16-bit format (0 in fp32 and before any step)
     */
    public double flushedGradientFraction() {
        long nz = 0;
        long fl = 0;
        for (RankBase r : ranks) {
            long[] c = r.precision().flushCounts();
            nz += c[0];
            fl += c[1];
        }
        return nz == 0 ? 0.0 : fl / (double) nz;
    }

    /** The score of the last step. */
    public double score() {
        return score;
    }

    /** Each rank's ledger. */
    public List<LedgerSnapshot> memoryReport() {
        return ranks.stream().map(r -> r.ledger().snapshot()).toList();
    }

    /** Each rank's communication counters. */
    public List<CommStats> commStats() {
        return comms.stream().map(Collectives::stats).toList();
    }

    /**
     * Checkpoint export, between steps: every rank's pieces of the canonical vectors
     * ({@link io.ds4j.dl4j.checkpoint.EngineState}): its owned parts of the fp32 master and of the optimizer state,
     * read where they live (device, host, or the {@code offload_param}/{@code offload_optimizer} nvme files).
     *
     * @return the pieces (copies), index r for this JVM's r-th rank
     */
    public List<io.ds4j.dl4j.checkpoint.RankShard> exportShards() {
        return onEachRank(c -> ranks.get(c.rank() - firstRank).exportShard());
    }

    /**
     * Checkpoint import, between steps: every rank takes its owned parts of the fp32 master and optimizer state from
     * the whole canonical vectors, and rebuilds what derives from them (16-bit shards, persistent parameters).
     *
     * @param full vector name to its whole values
     */
    public void importShards(java.util.Map<String, float[]> full) {
        onEachRank(c -> {
            ranks.get(c.rank() - firstRank).importShard(full);
            return null;
        });
    }

    /** @param scale the loss scale every rank takes for the next step (a checkpoint's load) */
    public void restoreLossScale(io.ds4j.precision.LossScale scale) {
        ranks.forEach(r -> r.precision().restoreScale(scale));
    }

    /** @return the number of ranks in the group (all of them, also those of other processes) */
    public int worldSize() {
        return comms.get(0).worldSize();
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    public int stateWords() {
        return ranks.get(0).stateWords();
    }

    /** Rank {@code r}'s state, for tests in this package. */
    RankBase rank(int r) {
        return ranks.get(r);
    }

    /** The ranks' threads, index r for rank r (for tests in this package). */
    List<Thread> rankThreads() {
        return threads.threads();
    }

    /** Frees the shards, deletes the offload files and stops the rank threads. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (RankBase r : ranks) {
            try {
                r.close(); // shards, buffers, offload files
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        ranks.clear();
        threads.close();
        if (first != null) {
            throw first;
        }
    }
}
