package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.precision.LossScale;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.LedgerSnapshot;
import java.util.List;

/**
 * The training engine behind a {@link ZeroTrainer}: the ranks of one ZeRO stage family, their shards and their steps.
 * {@link ShardedEngine} runs stages 0-2 (every rank holds the whole parameters, the gradient and optimizer state are
 * sharded), {@link Stage3Engine} stage 3 (parameters sharded too, gathered layer by layer). {@link #open} picks one,
 * so the facade has no stage branches; which class does which phase of a step is mapped in {@code site/docs/engine.md}.
 *
 * <p>Call order: {@link #open}; then for each {@code fit}: {@link #beginFit}, per epoch {@link #beginEpoch} and
 * {@link #step} for step 0, 1, 2, ... until it returns null, {@link #endFit} (also when a step failed); {@link #close}
 * once. The facade owns the epochs and the iterator; the engine runs one optimizer step per {@link #step}, on rank
 * threads that live as long as the engine (each keeps its random state and native-thread setting from step to step).
 */
sealed interface StageEngine extends AutoCloseable permits ShardedEngine, Stage3Engine {

    /** One step's outcome, as the facade's monitor and listeners see it. */
    record StepReport(long examples, double score, int iteration, int epoch, LossScale used, boolean skipped) { }

    /** The facade's part of a step (monitor, listeners), called once per step after the engine's own work. */
    interface StepSink {
        /** @param report the step just run */
        void afterStep(StepReport report);
    }

    /**
     * The engine {@code options} asks for: stage 3 or stages 0-2.
     *
     * @param main      the user's network (rank 0 computes on it at stages 0-2)
     * @param options   the engine options
     * @param precision the resolved precision
     * @param comms     one collective group member per rank of this JVM (all ranks, or this process's one)
     * @param threads   ND4J native threads per rank
     * @return the engine; nothing stays open when this throws
     */
    static StageEngine open(Replica main, EngineOptions options, EnginePrecision precision,
                            List<? extends Collectives> comms, int threads) {
        return options.zero().stage() == 3 ? Stage3Engine.open(main, options, precision, comms, threads)
                : ShardedEngine.open(main, options, precision, comms, threads);
    }

    /** Before the first epoch of a {@code fit}. */
    void beginFit();

    /**
     * Before the first step of an epoch: stages 0-2 draw the epoch's dropout seed here from the calling thread's ND4J
     * generator and seed each rank's thread with it ({@link RankRandom}); stage 3 draws one per step.
     */
    void beginEpoch();

    /**
     * Runs one optimizer step: step {@code index} of {@code feed}, read by the ranks. After the step, the user's
     * network holds the parameters of the last step taken ({@link #copyParamsTo}); then {@code sink} gets the report,
     * at stages 0-2 on the thread of this JVM's first rank (a listener that throws fails that rank, see
     * {@link RankErrors}), at stage 3 on the calling thread.
     *
     * @param feed      the epoch's micro-batches
     * @param index     the step's index in the epoch: 0, 1, 2, ... in order
     * @param iteration DL4J's iteration count of this step (learning-rate schedules)
     * @param epoch     DL4J's epoch count
     * @param sink      the facade's part of the step
     * @return the step's report, or null when the feed has no step {@code index} (nothing was run)
     */
    StepReport step(StepSource feed, int index, int iteration, int epoch, StepSink sink);

    /** After the last epoch of a {@code fit}, also when it failed: the user's network holds the fp32 master. */
    void endFit();

    /**
     * Makes the user's network hold the trained parameters when it does not yet (a network built partitioned at
     * stage 3 is initialised here, on demand); nothing otherwise.
     */
    void materialize(Replica user);

    /** Writes the parameters of the last step taken into the user's network (its compute copy or gathered values). */
    void copyParamsTo(Replica user);

    /** @return the loss scale of the next step */
    LossScale lossScale();

    /** @return whether the last step was skipped (overflow) */
    boolean lastStepSkipped();

    /** @return the global gradient norm of the last step, before clipping */
    double lastGradientNorm();

    /** @return the fraction of stored-gradient elements the 16-bit rounding flushed to zero so far */
    double flushedGradientFraction();

    /** @return each rank's memory ledger, index r for rank r */
    List<LedgerSnapshot> memoryReport();

    /**
     * @param user the user's network
     * @return the state a checkpoint saves and loads
     * @throws UnsupportedOperationException where checkpoints are not implemented
     */
    EngineState checkpointState(Replica user);

    /** Releases shards, stores, files and threads; the user's network gets its own schedules back. Idempotent. */
    @Override
    void close();
}
