package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.precision.LossScale;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.RankThreads;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryLedger;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link ZeroTrainer} at {@code zero_optimization.stage} 0, 1 or 2: one {@link RankWorker} per rank, each on its own
 * replica of the whole network (rank 0 on the user's network itself, unless the ranks compute in HALF), its own
 * {@link MemoryLedger} and its stage's {@link io.ds4j.zero.step.ZeroStep}. With a {@code scheduler} section and the
 * network's own DL4J updaters, the schedule is installed into every replica's updaters and taken out of the user's
 * network again at {@link #close}.
 *
 * <p>Each rank of this JVM runs on one thread of its own ({@link RankThreads}) from {@link #open} to {@link #close},
 * its OpenMP team limited to the engine's native threads once; {@link #beginEpoch} seeds the threads' random
 * generators, so a rank's dropout masks come from one stream for the whole epoch whatever the number of steps, and
 * {@link #step} hands them one step at a time.
 *
 * <p>When ranks are processes, {@code comms} holds this process's one rank (its {@code rank()} and
 * {@code worldSize()} say where it stands): it trains on the user's network, and {@link #endFit} all-gathers the
 * other ranks' fp32 master ranges so that every process ends with the same network.
 */
final class ShardedEngine implements StageEngine {

    private final Replica main;
    private final List<? extends Collectives> comms; // this JVM's ranks, from rank firstRank on
    private final int firstRank;
    private final int worldSize;
    private RankThreads threads; // one per rank of this JVM, from open to close
    private boolean failed; // a step threw: the group is aborted, endFit must not communicate
    private final List<RankWorker> workers = new ArrayList<>();
    private final List<MemoryLedger> ledgers = new ArrayList<>();
    private final EngineOptions options;
    private final EnginePrecision precision;
    private final int nativeThreads;
    private Runnable restoreSchedule = () -> { };
    private List<RankWorker> fitting = List.of(); // the workers of the running fit: endFit reaches them after close

    private ShardedEngine(Replica main, EngineOptions options, EnginePrecision precision,
                          List<? extends Collectives> comms, int threads) {
        this.main = main;
        this.options = options;
        this.precision = precision;
        this.comms = comms;
        this.firstRank = comms.get(0).rank();
        this.worldSize = comms.get(0).worldSize();
        this.nativeThreads = threads;
    }

    /** Opens one worker per rank; whatever fails, nothing opened so far stays open (stores, files, the schedule). */
    static ShardedEngine open(Replica main, EngineOptions options, EnginePrecision precision,
                              List<? extends Collectives> comms, int threads) {
        ShardedEngine e = new ShardedEngine(main, options, precision, comms, threads);
        try {
            e.openWorkers();
            e.startThreads();
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
        return e;
    }

    private void openWorkers() {
        for (int i = 0; i < comms.size(); i++) {
            int r = firstRank + i;
            Replica rep = precision.halfCompute() ? Replica.halfOf(main.net()) : i == 0 ? main
                    : Replica.cloneOf(main.net());
            if (options.optimizer().isEmpty() && options.sections().scheduler().isPresent()) {
                Runnable undo = ScheduleInstaller.install(rep.net(), options.sections().scheduler().get());
                restoreSchedule = i == 0 ? undo : restoreSchedule;
            }
            MemoryLedger ledger = new MemoryLedger(r);
            comms.get(i).accountIn(ledger); // the transport's staging (UCX), as it is allocated
            ledgers.add(ledger);
            workers.add(new RankWorker(comms.get(i), rep, new RankPrecision(precision, r), options, ledger));
        }
    }

    @Override
    public void beginFit() {
        fitting = List.copyOf(workers);
        failed = false;
        for (RankWorker w : fitting) {
            w.beginFit();
        }
    }

    private void startThreads() {
        threads = RankThreads.start(comms);
        RankErrors.run(threads, comm -> {
            NativeThreads.limitCurrentThread(nativeThreads); // the OpenMP team is the thread's: set once
            return null;
        });
    }

    /** Seeds every rank thread for the epoch: reproducible from the caller's generator, different per rank. */
    @Override
    public void beginEpoch() {
        failing(() -> {
            long seed = comms.size() < worldSize ? sharedSeed() : RankRandom.draw();
            RankErrors.run(threads, comm -> {
                RankRandom.seedThisThread(seed, comm.rank()); // dropout masks
                return null;
            });
            return null;
        });
    }

    @Override
    public StepReport step(StepSource feed, int index, int iteration, int epoch, StepSink sink) {
        return failing(() -> RankErrors.run(threads, comm -> rankStep(comm, feed, index, iteration, epoch, sink))
                .get(0));
    }

    /** One rank's part of a step; this JVM's first rank also updates the user's network and reports. */
    private StepReport rankStep(Collectives comm, StepSource feed, int index, int iteration, int epoch,
                                StepSink sink) {
        BatchFeed.Step step = feed.get(index);
        if (step == null) {
            return null;
        }
        RankWorker worker = workers.get(comm.rank() - firstRank);
        LossScale used = worker.precision().scale();
        double score = worker.step(step.forRank(comm.rank(), worldSize), step.examples(), iteration, epoch);
        // the step ends when every rank has finished its part: rank 0's listeners may save a checkpoint, which reads
        // every rank's master and optimizer state (without this, a rank still applying its update raced the save)
        comm.barrier();
        if (comm.rank() != firstRank) {
            return null;
        }
        copyParamsTo(main); // HALF compute: the user's network follows rank 0 (this process's rank)
        StepReport report = new StepReport(step.examples(), score, iteration, epoch, used, worker.lastSkipped());
        sink.afterStep(report);
        return report;
    }

    /** Runs {@code work}; when it throws, the group is aborted and {@link #endFit} must not communicate. */
    private <T> T failing(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Rank 0's dropout seed for every process (52 bits: exact through a sum with zeros). */
    private long sharedSeed() {
        return RankRandom.rankZeros(comms.get(0), firstRank == 0 ? RankRandom.draw() : 0);
    }

    @Override
    public void endFit() {
        for (RankWorker w : fitting) {
            w.endFit(main.params()); // the user's network: own loss functions, fp32 master values
        }
        if (comms.size() < worldSize && !failed && !fitting.isEmpty()) {
            fitting.get(0).gatherMasterFromAll(main.params()); // the other processes' master ranges
        }
        fitting = List.of();
    }

    /** Nothing: below stage 3 {@code build()} initialised the user's network, and rank 0 trains it. */
    @Override
    public void materialize(Replica user) {
    }

    /** Rank 0's compute copy into the user's network: a cast with HALF compute, nothing otherwise (it is rank 0's). */
    @Override
    public void copyParamsTo(Replica user) {
        workers.get(0).showComputeCopy(user.params());
    }

    @Override
    public LossScale lossScale() {
        return workers.isEmpty() ? precision.initialScale() : workers.get(0).precision().scale();
    }

    @Override
    public boolean lastStepSkipped() {
        return !workers.isEmpty() && workers.get(0).lastSkipped();
    }

    @Override
    public double lastGradientNorm() {
        return workers.get(0).lastGradientNorm();
    }

    @Override
    public double flushedGradientFraction() {
        return RankPrecision.flushedFraction(workers.stream().map(RankWorker::precision).toList());
    }

    @Override
    public List<LedgerSnapshot> memoryReport() {
        return ledgers.stream().map(MemoryLedger::snapshot).toList();
    }

    @Override
    public EngineState checkpointState(Replica user) {
        return new TrainerState(workers, options, FlatLayout.of(user.net()), worldSize);
    }

    /** @return every rank's compute copy as floats, rank by rank (for tests) */
    List<float[]> computeCopies() {
        return workers.stream().map(RankWorker::computeCopy).toList();
    }

    /** @return for each rank, the largest data buffer its layers reference as gradient view (for tests) */
    List<Long> largestGradientBuffers() {
        return workers.stream().map(RankWorker::largestReferencedGradientBuffer).toList();
    }

    /** @return the data type each rank's network computes in, rank by rank (for tests) */
    List<DataType> computeTypes() {
        return workers.stream().map(RankWorker::computeType).toList();
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.close(); // idle threads stop at once; first, so no rank runs on a worker being closed
        }
        restoreSchedule.run();
        restoreSchedule = () -> { };
        RuntimeException first = null;
        for (RankWorker w : workers) {
            try {
                w.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        workers.clear();
        if (first != null) {
            throw first;
        }
    }
}
