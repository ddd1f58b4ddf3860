package io.ds4j.dl4j;

import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.dist.Distributed;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.precision.LossScale;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * ZeRO data-parallel training of a DL4J network by {@code worldSize} ranks in this JVM (one thread each), or, with
 * {@link Builder#distributed}, by one rank per process over UCX (stages 0-3; see that method for how batches differ).
 *
 * <p>Rank 0 computes on the user's network itself, the other ranks on clones, so after (and during) {@code fit} the
 * user's network holds the trained parameters, and its listeners see one {@code iterationDone} per optimizer step,
 * with the score of the whole global batch. <b>Batches</b>, as DeepSpeed defines them: each batch the
 * iterator yields is one global batch of {@code train_batch_size} examples, split into
 * {@code worldSize x gradient_accumulation_steps} micro-batches of {@code train_micro_batch_size_per_gpu} examples
 * (micro-batch {@code m * worldSize + r} is rank r's m-th; see {@link MicroBatches}). From a DeepSpeed file,
 * {@code "auto"} is resolved from the first global batch: an {@code "auto"} train batch size is that batch's size,
 * then micro batch and accumulation follow from {@code train = micro x accumulation x worldSize} (accumulation 1 when
 * nothing else fixes it), and a batch that cannot be split so is an error naming the key; see {@link #batchSizes()}.
 * Every batch but the last must then have {@code train_batch_size} examples. (The trainer's one iterator feeds all
 * ranks; {@code DeepSpeedConfig.resolve(world, iteratorBatch)} instead reads an iterator as one rank's loader of
 * micro-batches, as DeepSpeed's per-GPU data loaders are.) The optimizer state lives in the ranks' shards
 * (stages 1, 2) and persists across {@code fit} calls; the user's own DL4J updater state is not used. A rank
 * that throws aborts the others; {@code fit} then throws {@link Ranks.RankFailedException} naming the rank and
 * the cause (a configuration or input error is thrown as itself, see {@link RankErrors}), and the trainer is
 * closed (the shards may be partly updated; offloaded optimizer state is released and its nvme files deleted).
 *
 * <p>With {@code fp16} or {@code bf16} ({@link EnginePrecision}) the replicas compute on 16-bit-representable
 * values while each rank's optimizer keeps an fp32 master of its range; a step whose gradients overflow on any rank
 * is skipped (listeners still see it, at an unchanged iteration) and when {@code fit} returns or fails the user's
 * network holds the fp32 master values and its own loss functions (see the package documentation). With HALF
 * compute ({@link Builder#compute}: fp16 on the CUDA backend by default) every rank, rank 0 included, computes on a
 * HALF copy of the network; after each step rank 0's compute copy is cast (exactly) into the user's FLOAT network
 * before the listeners run, so during {@code fit} it holds the same fp16 values as with FLOAT compute.
 *
 * <p>At {@code zero_optimization.stage: 3} ({@link Stage3Engine}) the ranks hold only parameter shards
 * ({@link io.ds4j.dl4j.stage3.Stage3Trainer}, fed the same micro-batches); listeners see each step's global score,
 * and the user's network receives the gathered fp32 parameters after every step taken, before the listeners run.
 * At every stage each rank keeps one thread for the trainer's life, its native threads limited once.
 *
 * <p>The trainer is the user's facade over package-private parts: {@link TrainerAssembly} resolves, checks and opens
 * what the builder was given, {@link RankGroup} holds this JVM's ranks, {@link EpochLoop} runs the epochs (iterators,
 * listeners, the {@code csv_monitor}), {@link TrainerProgress} keeps the position and the checkpoints. The training
 * itself is its {@link StageEngine} ({@link ShardedEngine} at stages 0-2, {@link Stage3Engine} at stage 3), chosen
 * once when it is built, which the loop hands one optimizer step at a time.
 *
 * <p>Call order: {@code build()}, any number of {@code fit(...)}, {@code close()}. Not thread-safe.
 */
public final class ZeroTrainer implements AutoCloseable {

    private final TrainerAssembly.Parts parts; // network, options, precision, rank group, engine, monitor, progress
    private final EpochLoop loop;
    private boolean closed;

    private ZeroTrainer(TrainerAssembly.Parts parts) {
        this.parts = parts;
        this.loop = new EpochLoop(parts.loop(this::close));
    }

    /** @return the guard of this process's resident memory (tests) */
    ResidentGuard residentGuard() {
        return parts.guard();
    }

    /**
     * @param net an initialised MultiLayerNetwork or ComputationGraph; or a MultiLayerNetwork not yet initialised
     *            ({@code new MultiLayerNetwork(conf)}), which at {@code zero_optimization.stage: 3} is built
     *            partitioned (its full flat vector never exists until {@link #network()} asks for it; see
     *            {@link PartitionedConstruction}) and below stage 3 is initialised by {@code build()} as {@code init()}
     *            would
     * @return a builder
     */
    public static Builder builder(Model net) {
        return new Builder(net);
    }

    /**
     * The network the trainer trains. For a trainer built from an initialised network it is that network, which
     * holds the parameters of the last step taken. For a MultiLayerNetwork built partitioned at stage 3 (not
     * initialised when given to {@link #builder}), the first call initialises it (now its full flat parameter vector
     * is allocated) and gathers the trained parameters into it; from then on it receives the parameters after every
     * step, as an initialised network does.
     *
     * @return the network
     */
    public Model network() {
        checkOpen();
        parts.engine().materialize(parts.main());
        return parts.main().net();
    }

    /** Trains one pass over {@code iterator}; each of its batches is one global batch. */
    public void fit(DataSetIterator iterator) {
        fit(iterator, 1);
    }

    /** Trains {@code epochs} passes over {@code iterator}, resetting it between passes. */
    public void fit(DataSetIterator iterator, int epochs) {
        Objects.requireNonNull(iterator, "iterator");
        checkOpen();
        loop.fit(EpochLoop.Passes.of(iterator), epochs);
    }

    /** Trains one pass over a multi-input/multi-output iterator (ComputationGraph). */
    public void fit(MultiDataSetIterator iterator) {
        fit(iterator, 1);
    }

    /** Trains {@code epochs} passes over a multi-input/multi-output iterator, resetting it between passes. */
    public void fit(MultiDataSetIterator iterator, int epochs) {
        Objects.requireNonNull(iterator, "iterator");
        checkOpen();
        loop.fit(EpochLoop.Passes.of(iterator), epochs);
    }

    /**
     * Saves a checkpoint, like DeepSpeed's {@code save_checkpoint}: {@code dir/tag/} gets the model-states file and
     * one optimizer-partition file per rank (fp32 master and optimizer state), and {@code dir/latest} names the tag,
     * atomically (a crash during the save leaves the previous checkpoint loadable). Call it between {@code fit}
     * calls or from a listener's {@code iterationDone} (a {@link io.ds4j.dl4j.checkpoint.CheckpointListener}). With
     * ranks as processes ({@link Builder#distributed}) every process calls it with the same directory and tag, as
     * every DeepSpeed rank calls {@code save_checkpoint}: each writes its own rank file, rank 0 the model-states file
     * and {@code latest}, on a file system they share, with the same atomicity (the processes agree after each phase).
     *
     * @param dir the checkpoint directory
     * @param tag the tag, e.g. {@code global_step100}
     * @return the bytes this JVM wrote
     * @throws java.io.UncheckedIOException when the save fails (disk full): the previous checkpoint is intact
     */
    public long saveCheckpoint(java.nio.file.Path dir, String tag) {
        checkOpen();
        return parts.progress().save(dir, tag);
    }

    /**
     * Loads the checkpoint {@code dir/latest} names; see {@link #loadCheckpoint(java.nio.file.Path, String)}.
     *
     * @param dir the checkpoint directory
     */
    public void loadCheckpoint(java.nio.file.Path dir) {
        load(dir, java.util.Optional.empty());
    }

    /**
     * Loads a checkpoint, like DeepSpeed's {@code load_checkpoint}, saved by any world size and ZeRO stage 0-3
     * (resharded here): every rank's fp32 master, compute copy and optimizer state, the loss scale, the iteration and
     * epoch counts, the calling thread's ND4J random state; the next {@code fit} skips the global batches of the saved
     * epoch that were already trained. Everything is read and checked first: a bad checkpoint throws
     * {@link io.ds4j.zero.checkpoint.CheckpointException} naming the file, and nothing is changed. Call between
     * {@code fit} calls; with ranks as processes, in every process (each reads the whole checkpoint and keeps its
     * rank's part; the next fit skips this rank's micro-batches of the steps already trained).
     *
     * @param dir the checkpoint directory
     * @param tag the tag
     */
    public void loadCheckpoint(java.nio.file.Path dir, String tag) {
        load(dir, java.util.Optional.of(tag));
    }

    private void load(java.nio.file.Path dir, java.util.Optional<String> tag) {
        checkOpen();
        parts.progress().load(dir, tag);
    }

    /** @return the loss scale of the next step (every rank's is the same); 1, never changing, without fp16 */
    public LossScale lossScale() {
        return parts.engine().lossScale();
    }

    /** @return optimizer steps skipped so far because their gradients overflowed (any Inf or NaN on any rank) */
    public long skippedSteps() {
        return parts.progress().skippedSteps();
    }

    /** @return whether the last step was skipped */
    public boolean lastStepSkipped() {
        return parts.engine().lastStepSkipped();
    }

    /**
     * The fraction of stored-gradient elements that were non-zero in fp32 and became zero when rounded to the 16-bit
     * format (underflow), over every rank's micro-batches so far; 0 in fp32 training. Not measurable with HALF
     * compute, where the network produces the fp16 gradient itself and no fp32 gradient exists to compare with.
     *
     * @return flushed / non-zero elements, 0 when nothing was stored yet, NaN with HALF compute
     */
    public double flushedGradientFraction() {
        if (parts.precision().halfCompute()) {
            return Double.NaN;
        }
        return parts.engine().flushedGradientFraction();
    }

    /** @return the stage engine (for tests in this package) */
    StageEngine engine() {
        return parts.engine();
    }

    /** @return the precision in force */
    public EnginePrecision precision() {
        return parts.precision();
    }

    /** @return each rank's memory ledger, index r for rank r */
    public List<LedgerSnapshot> memoryReport() {
        return parts.engine().memoryReport();
    }

    /** @return what the ranks moved so far, summed over ranks */
    public CommStats commStats() {
        return parts.group().stats();
    }

    /** @return the global gradient norm (before clipping) of the last step */
    public double lastGradientNorm() {
        return parts.engine().lastGradientNorm();
    }

    /** @return the options in force */
    public EngineOptions options() {
        return parts.options();
    }

    /**
     * @return the batch triad in force ({@code train_batch_size}, {@code train_micro_batch_size_per_gpu},
     *         {@code gradient_accumulation_steps}) of a trainer built from a DeepSpeed file, once the first global
     *         batch has resolved its {@code "auto"} values; empty before that and for programmatic options
     */
    public java.util.Optional<io.ds4j.config.ResolvedBatch> batchSizes() {
        GlobalBatch.Split s = parts.batch().current();
        return s == null ? java.util.Optional.empty() : s.resolved();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ZeroTrainer is CLOSED; build a new one");
        }
    }

    /**
     * Releases the replicas and buffers; the user's network keeps the trained parameters, and gets its updaters'
     * previous learning-rate schedules back when a {@code scheduler} section had installed one.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            parts.engine().close(); // shards, stores, offload files; the user's schedules back
        } finally {
            parts.monitor().close();
            parts.group().close(); // ranks as processes: goodbye to the other ranks
        }
    }

    /** Builder; {@code config} defaults to {@link EngineOptions#defaults()}, {@code worldSize} to 1. */
    public static final class Builder {
        private final Model net;
        private EngineOptions options = EngineOptions.defaults();
        private int worldSize = 1;
        private Distributed distributed;
        private Duration timeout; // null: CollectiveTimeout.fromEnvironment
        private io.ds4j.config.DeepSpeedConfig deepSpeedConfig;
        private int threadsPerRank;
        private EnginePrecision precision = EnginePrecision.fp32();
        private EnginePrecision.Compute compute;
        private io.ds4j.dl4j.checkpoint.TagValidation tagValidation; // null: the configuration's, else WARN
        private double residentSlack = Double.NaN; // NaN: ResidentGuard's system property, else 0.1

        private Builder(Model net) {
            this.net = Objects.requireNonNull(net, "net");
        }

        /** @param config the engine options @return this */
        public Builder config(EngineOptions config) {
            this.options = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Takes the engine's options from a parsed DeepSpeed configuration, resolved for the world size at
         * {@link #build()}.
         *
         * @param config the configuration
         * @return this
         */
        public Builder config(io.ds4j.config.DeepSpeedConfig config) {
            this.deepSpeedConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Mixed precision ({@code fp16}, {@code bf16}) and the {@code csv_monitor}; taken from the configuration when
         * one is given with {@link #config(io.ds4j.config.DeepSpeedConfig)}. Default: fp32, no monitor.
         *
         * @param p the precision
         * @return this
         */
        public Builder precision(EnginePrecision p) {
            this.precision = Objects.requireNonNull(p, "precision");
            return this;
        }

        /**
         * Where the ranks' networks compute under {@code fp16}: {@link EnginePrecision.Compute#AUTO} (default,
         * unless the system property {@value EnginePrecision#PROPERTY} says otherwise) computes in HALF on the CUDA
         * backend and in FLOAT on the CPU backend; {@code HALF} forces HALF networks (also on the CPU backend,
         * where it is slow); {@code FLOAT} forces FLOAT networks on fp16-representable values.
         *
         * @param c the compute type
         * @return this
         */
        public Builder compute(EnginePrecision.Compute c) {
            this.compute = Objects.requireNonNull(c, "compute");
            return this;
        }

        /** @param n ranks, at least 1 @return this */
        public Builder worldSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("worldSize: " + n + " is not allowed; use at least 1");
            }
            this.worldSize = n;
            return this;
        }

        /**
         * ND4J's native threads per op while {@code fit} runs ({@link NativeThreads}: op threads and BLAS threads
         * process-wide, the OpenMP team per rank thread); restored afterwards. Default: the available processors
         * divided by the ranks on this host (threads of this JVM, or processes: {@code LOCAL_WORLD_SIZE}; a rank
         * process takes {@code OMP_NUM_THREADS} where set), at least 1, so the ranks together do not oversubscribe the
         * cores.
         *
         * @param n threads, at least 1
         * @return this
         */
        public Builder threadsPerRank(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("threadsPerRank: " + n + " is not allowed; use at least 1");
            }
            this.threadsPerRank = n;
            return this;
        }

        /**
         * What {@code loadCheckpoint} does with a checkpoint saved under another configuration (DeepSpeed's
         * {@code checkpoint.tag_validation}). Default: the configuration's when one is given, else WARN.
         *
         * @param v the validation
         * @return this
         */
        public Builder tagValidation(io.ds4j.dl4j.checkpoint.TagValidation v) {
            this.tagValidation = Objects.requireNonNull(v, "tagValidation");
            return this;
        }

        /**
         * Runs only this process's rank of a job whose ranks are processes (started by torchrun, {@code mpirun},
         * {@code srun} or {@code bin/ds4j launch}; see {@link Distributed#fromEnvironment()}). {@code build()} meets
         * the other ranks at {@code MASTER_ADDR:MASTER_PORT}, where a different world size, config or model is named,
         * and starts from rank 0's parameters. {@code fit}'s iterator then yields this rank's own micro-batches
         * ({@code train_micro_batch_size_per_gpu} examples; {@code gradient_accumulation_steps} of them per step),
         * as DeepSpeed's per-rank data loaders do; after {@code fit} every process holds the same trained network.
         * Stages 0-3; at stage 3 each process holds only its rank's shards, and a network given without
         * {@code init()} is built partitioned in every process from rank 0's seed. A world of one trains in this JVM
         * as {@code worldSize(1)} does.
         *
         * @param d this process's place in the job
         * @return this
         */
        public Builder distributed(Distributed d) {
            this.distributed = Objects.requireNonNull(d, "distributed");
            this.worldSize = d.worldSize();
            return this;
        }

        /**
         * @param t how long a collective waits for the other ranks before failing, naming the silent one; where not
         *          set, {@code DS4J_COLLECTIVE_TIMEOUT_S} (seconds) or DeepSpeed's {@code DEEPSPEED_TIMEOUT} (minutes)
         *          from the environment, else 10 minutes ({@link io.ds4j.zero.dist.CollectiveTimeout})
         * @return this
         */
        public Builder collectiveTimeout(Duration t) {
            this.timeout = Objects.requireNonNull(t, "timeout");
            return this;
        }

        /**
         * How far this process's resident memory may grow over the level of the first 3 steps, as a fraction of it
         * (at least 32 MiB), before the trainer starts a Java garbage collection so that ND4J frees the native memory
         * of arrays no longer used; at most 2% of the training's time goes to these collections. 0 turns it off.
         * Default: the system property {@code ds4j.resident.slack}, else 0.1. Training is the same either way.
         *
         * @param slack a fraction, 0 to 10
         * @return this
         */
        public Builder residentSlack(double slack) {
            this.residentSlack = ResidentGuard.check(slack);
            return this;
        }

        /** @return the trainer */
        public ZeroTrainer build() {
            return new ZeroTrainer(TrainerAssembly.assemble(new TrainerAssembly.Settings(net, options, precision,
                    compute, deepSpeedConfig, worldSize, distributed, timeout != null ? timeout
                            : io.ds4j.zero.dist.CollectiveTimeout.fromEnvironment(System.getenv()), threadsPerRank,
                    tagValidation, residentSlack)));
        }
    }
}
