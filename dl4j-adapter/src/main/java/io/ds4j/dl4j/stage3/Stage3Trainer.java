package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.ParamHome;
import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.dl4j.RankPrecision;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.PartitionedConstruction;
import io.ds4j.dl4j.RankErrors;
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
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * <p><b>In place</b> ({@link #create(Model, ZeroStage3Config, OffloadParamConfig, List, Stage3Numerics, boolean)}):
 * in fp32 without {@code offload_param} (or with {@code cpu} on the CPU backend, where the network's memory is host
 * memory: the shards are then entered on the host), the ranks keep their shards in the network's own parameters:
 * each rank's shard of a tensor is the network's memory at the rank's range of it, and the optimizer updates it
 * there. When all ranks run in this process (threads, or one rank), the shards together are the network's one copy,
 * so the process holds no second one (4&Psi; bytes less than copies of the shards), the network has the weights of
 * the last step after every step with no gather, and {@link #writeParamsTo} of that network has nothing to do. With
 * two or more such ranks a layer also computes on the network's view of its parameters (their shared module buffer),
 * and the ranks pass a barrier before and after each optimizer step, so none computes on parameters another is
 * writing. With ranks as
 * processes each process's network holds its rank's shards in place (4&Psi;/N less per process) and gets the other
 * ranks' ranges from {@link #writeParamsTo}, as before; its layers compute on module buffers of its own. The network
 * must not be changed by anything else while the trainer is open.
 *
 * <p>Call order: {@link #fit(List, long, int, int)} once per global batch, split into micro-batches; then
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
    private final GradientClipping clipping;
    private double lastNorm = Double.NaN;
    private int iteration;
    private int epoch;
    private double score = Double.NaN;
    private Model inPlace; // the network whose parameters are the ranks' shards, or null

    private Stage3Trainer(List<Collectives> comms, List<RankBase> ranks, RankThreads threads, long numParams,
                          Stage3Numerics numerics) {
        this.clipping = numerics.clipping();
        this.comms = comms;
        this.ranks = ranks;
        this.firstRank = comms.get(0).rank();
        this.worldSize = comms.get(0).worldSize();
        this.threads = threads;
        this.numParams = numParams;
    }

    /**
     * Partitions {@code net}'s current parameters over the ranks of {@code group} (one handle per rank in this JVM,
     * index r for rank r; with ranks as processes, this process's one). The network itself is left as it is; the
     * ranks never hold its full flat vector. The parameter shards live where {@code zero_optimization.offload_param}
     * says (see {@link ParamHome}): on the device, on the host for {@code cpu}, in files in a new directory per rank
     * under {@code nvme_path} for {@code nvme} (deleted by {@link #close()}). With DeepSpeed's {@code fp16} or
     * {@code bf16} (see {@link RankPrecision}) the shards the gathers read hold 16-bit values (2 B per element), the
     * optimizer updates an fp32 master shard, fp16 scales the loss in each rank's own copy of the output layers, and
     * a step whose gradients overflow on any rank is skipped; the network computes in FLOAT. With a
     * {@link PiecewiseShardUpdate} (a DeepSpeed {@code optimizer} section) that kernel updates the fp32 master shards
     * instead of the network's DL4J updaters.
     *
     * @param net      an initialised fp32 {@link MultiLayerNetwork} or {@link ComputationGraph}, or a
     *                 MultiLayerNetwork not initialised (built partitioned, see {@link PartitionedConstruction})
     * @param knobs    the stage-3 knobs
     * @param offload  {@code offload_param} ({@link OffloadParamConfig#none()} for none)
     * @param group    the ranks' collectives
     * @param numerics the precision, the optimizer and the clipping ({@link Stage3Numerics#fp32()} for plain fp32
     *                 with the network's DL4J updaters)
     * @return the trainer
     * @throws IllegalArgumentException naming {@code zero_optimization.offload_param.nvme_path} when it is unusable
     */
    public static Stage3Trainer create(Model net, ZeroStage3Config knobs, OffloadParamConfig offload,
                                       List<? extends Collectives> group, Stage3Numerics numerics) {
        return create(net, knobs, offload, group, numerics, false);
    }

    /**
     * As {@link #create(Model, ZeroStage3Config, OffloadParamConfig, List, Stage3Numerics)}; with {@code inPlace},
     * the ranks keep their shards in place in {@code net}'s own parameters where that applies (see the class
     * documentation: fp32, no {@code offload_param} or {@code cpu} on the CPU backend, every layer's parameters a view
     * of the network's flat vector); elsewhere the shards are copies, as without it. {@code net} then changes at every
     * step.
     */
    public static Stage3Trainer create(Model net, ZeroStage3Config knobs, OffloadParamConfig offload,
                                       List<? extends Collectives> group, Stage3Numerics numerics, boolean inPlace) {
        if (PartitionedConstruction.applies(net)) {
            return createPartitioned((MultiLayerNetwork) net, knobs, offload, group, numerics);
        }
        FlatLayout layout = Stage3Checks.network(net);
        long shardBytes = 4L * ((net.numParams() + world(group) - 1) / world(group));
        SharedModuleMemory shared = sharedFor(group);
        INDArray flat = inPlace && inPlaceApplies(net, offload, numerics) ? net.params() : null;
        Ranks.Body<RankBase> make;
        if (net instanceof MultiLayerNetwork m) {
            make = c -> withHome(offload, c, shardBytes, numerics, shared, flat,
                    e -> new Stage3Rank(m, layout, knobs, e));
        } else if (net instanceof ComputationGraph g) {
            make = c -> withHome(offload, c, shardBytes, numerics, shared, flat,
                    e -> new GraphRank(g, layout, knobs, e));
        } else {
            throw new IllegalArgumentException("model: " + net.getClass().getName() + " is not supported; pass a "
                    + "MultiLayerNetwork or a ComputationGraph");
        }
        Stage3Trainer t = start(group, make, net.numParams(), numerics);
        t.inPlace = flat == null ? null : net;
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
        Stage3Checks.layers(FlatLayout.of(net)); // a skeleton's layout: one layer-sized array, garbage after the checks
        long psi = PartitionedConstruction.numParams(prepared);
        long shardBytes = 4L * ((psi + world(group) - 1) / world(group));
        SharedModuleMemory shared = sharedFor(group);
        Stage3Trainer t = start(group, c -> withHome(offload, c, shardBytes, numerics, shared,
                e -> new Stage3Rank(prepared, knobs, e)), psi, numerics);
        t.iteration = net.getIterationCount();
        t.epoch = net.getEpochCount();
        return t;
    }

    /**
     * Whether the ranks can keep their shards in place in {@code net}'s parameters: fp32 shards (no 16-bit format, no
     * HALF compute), no {@code offload_param} or {@code cpu} on the CPU backend (the network's memory is the host's
     * there), and every layer's parameters a contiguous FLOAT view of the network's flat vector (each rank's shards
     * are ranges of them).
     */
    static boolean inPlaceApplies(Model net, OffloadParamConfig offload, Stage3Numerics numerics) {
        INDArray flat = net.params();
        io.ds4j.zero.config.OffloadDevice device = offload.device();
        boolean hostMemory = device == io.ds4j.zero.config.OffloadDevice.CPU
                && !io.ds4j.dl4j.EnginePrecision.cudaBackend(); // on the CPU backend the network is in host memory
        if (device != io.ds4j.zero.config.OffloadDevice.NONE && !hostMemory || numerics.precision().mixed()
                || numerics.precision().halfCompute() || flat == null
                || flat.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT || flat.elementWiseStride() != 1) {
            return false;
        }
        List<INDArray> layerParams = new ArrayList<>();
        if (net instanceof MultiLayerNetwork m) {
            for (org.deeplearning4j.nn.api.Layer l : m.getLayers()) {
                layerParams.add(l.numParams() == 0 ? null : l.params());
            }
        } else if (net instanceof ComputationGraph g) {
            for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : g.getVertices()) {
                layerParams.add(v.numParams() == 0 ? null : v.params());
            }
        } else {
            return false;
        }
        for (INDArray p : layerParams) {
            if (p != null && (p.data().address() != flat.data().address() || p.elementWiseStride() != 1)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the ranks train in place on the network given to {@code create} (see the class documentation). */
    public boolean trainsInPlace() {
        return inPlace != null;
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

    /**
     * The module buffers the ranks of {@code group} share: when they are all threads of this process
     * ({@link InProcessCollectives}, at least two), one buffer per gathered module for all of them (see
     * {@link SharedModuleMemory}); null otherwise (ranks as processes keep their own).
     */
    static SharedModuleMemory sharedFor(List<? extends Collectives> group) {
        boolean threads = group.size() >= 2 && group.size() == world(group)
                && group.stream().allMatch(c -> c instanceof InProcessCollectives);
        return threads ? new SharedModuleMemory(group.size()) : null;
    }

    private static RankBase withHome(OffloadParamConfig offload, Collectives c, long bytes, Stage3Numerics n,
                                     SharedModuleMemory shared,
                                     java.util.function.Function<RankBase.RankEnv, RankBase> make) {
        return withHome(offload, c, bytes, n, shared, null, make);
    }

    private static RankBase withHome(OffloadParamConfig offload, Collectives c, long bytes, Stage3Numerics n,
                                     SharedModuleMemory shared, INDArray network,
                                     java.util.function.Function<RankBase.RankEnv, RankBase> make) {
        ParamHome home = ParamHome.of(offload, c.rank(), bytes);
        try {
            return make.apply(new RankBase.RankEnv(c, home, new RankPrecision(n.precision(), c.rank()),
                    n.optimizer(), shared, network));
        } catch (RuntimeException e) {
            home.close();
            throw e;
        }
    }

    /**
     * One optimizer step on micro-batches the caller has already split (the engine's split, {@code MicroBatches}, as
     * {@code Stage3Engine} hands it over: rank r's m-th micro-batch is micro-batch {@code m * worldSize + r} of the
     * global batch, so every stage sees the same data): rank r runs {@code perRank.get(r)} one after the other,
     * accumulating each one's reduce-scattered gradient, then every rank steps. Every rank must get the same number of
     * micro-batches (its {@code gradient_accumulation_steps}).
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
        int gas = Stage3Checks.microBatches(perRank, ranks.size());
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
        if (net == inPlace && ranks.size() == worldSize) {
            return; // every rank's shards are this network's parameters: it holds the values already
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
