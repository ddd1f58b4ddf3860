package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.TagValidation;
import io.ds4j.dl4j.checkpoint.TrainingPosition;
import io.ds4j.zero.comm.Collectives;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the training of a {@link ZeroTrainer} stands beyond DL4J's own iteration and epoch counts (the steps skipped
 * for overflow, the global batches of the running epoch already trained, the iteration a save from inside a
 * listener records), and its checkpoints: a save records that position with the engine's state
 * ({@link TrainerCheckpoints}), a load restores it, so that the next {@code fit} skips the batches already trained.
 */
final class TrainerProgress {
    private final Replica main;
    private final StageEngine engine;
    private final EngineOptions options;
    private final EnginePrecision precision;
    private final TagValidation tagValidation;
    private final Collectives processGroup; // ranks as processes: this process's rank, else null
    private long skippedSteps;
    private long batchInEpoch;           // steps of the running epoch trained so far
    private long skipOnResume;           // steps of the loaded epoch the next fit skips
    private int iterationAfterStep = -1; // inside iterationDone: the iteration count once the step is counted

    /**
     * @param main          the user's network
     * @param engine        the engine whose state checkpoints hold
     * @param options       the options in force (a checkpoint records their hash)
     * @param precision     the precision in force (likewise)
     * @param tagValidation what a load does with a checkpoint saved under another configuration
     * @param processGroup  with ranks as processes, this process's rank (checkpoints coordinate over it), else null
     */
    TrainerProgress(Replica main, StageEngine engine, EngineOptions options, EnginePrecision precision,
                    TagValidation tagValidation, Collectives processGroup) {
        this.main = main;
        this.engine = engine;
        this.options = options;
        this.precision = precision;
        this.tagValidation = tagValidation;
        this.processGroup = processGroup;
    }

    /** @return optimizer steps skipped so far because their gradients overflowed */
    long skippedSteps() {
        return skippedSteps;
    }

    /**
     * At the start of an epoch: the steps a loaded checkpoint's epoch had trained, which this epoch skips and counts
     * as trained; 0 from then on.
     *
     * @return the iterator's items to skip: a global batch per step, or with ranks as processes this rank's
     *         {@code gradient_accumulation_steps} micro-batches per step
     */
    long startEpoch() {
        long skip = skipOnResume;
        batchInEpoch = skip;
        skipOnResume = 0;
        return skip * (processGroup != null ? options.gradientAccumulationSteps() : 1);
    }

    /**
     * Counts a step, and runs the listeners' part of it, during which a save records the iteration count the step
     * leaves.
     *
     * @param skipped whether the step overflowed (it advances no iteration)
     * @param iteration DL4J's iteration count of the step
     * @param listeners the listeners' part of the step
     */
    void step(boolean skipped, int iteration, Runnable listeners) {
        skippedSteps += skipped ? 1 : 0;
        batchInEpoch++;
        iterationAfterStep = skipped ? iteration : iteration + 1;
        try {
            listeners.run();
        } finally {
            iterationAfterStep = -1;
        }
    }

    /** At the end of an epoch: a save between fits starts the next epoch afresh. */
    void endEpoch() {
        batchInEpoch = 0;
    }

    /**
     * @return the bytes written
     * @see ZeroTrainer#saveCheckpoint
     */
    long save(Path dir, String tag) {
        int iteration = iterationAfterStep >= 0 ? iterationAfterStep : main.iterationCount();
        return TrainerCheckpoints.save(dir, tag, main, engine.checkpointState(main), TrainerCheckpoints.position(
                iteration, main.epochCount(), batchInEpoch, skippedSteps), TrainerCheckpoints.configHash(options,
                precision), processGroup);
    }

    /**
     * @param tag the tag, or empty for the one {@code dir/latest} names
     * @see ZeroTrainer#loadCheckpoint(Path, String)
     */
    void load(Path dir, Optional<String> tag) {
        TrainingPosition p = TrainerCheckpoints.load(dir, tag, main, engine.checkpointState(main),
                TrainerCheckpoints.configHash(options, precision), tagValidation, processGroup);
        skippedSteps = p.skippedSteps();
        skipOnResume = p.batchInEpoch();
    }
}
