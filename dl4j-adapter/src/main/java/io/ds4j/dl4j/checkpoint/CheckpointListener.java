package io.ds4j.dl4j.checkpoint;

import java.nio.file.Path;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A DL4J listener that saves a checkpoint every {@code K} optimizer steps, tagged {@code global_step<N>} as DeepSpeed
 * tags them, {@code N} being DL4J's iteration count after the step (applied steps: a step skipped on overflow does
 * not advance it, so no tag is saved twice). Add it to the network after {@code ZeroTrainer.build()} or
 * {@code DeepSpeed.initialize}, with the engine's save method:
 * <pre>{@code
 * net.addListeners(new CheckpointListener(trainer::saveCheckpoint, dir, 100));
 * }</pre>
 */
public final class CheckpointListener extends BaseTrainingListener {

    /** The engine's save: {@code ZeroTrainer::saveCheckpoint} or {@code DeepSpeedEngine::saveCheckpoint}. */
    @FunctionalInterface
    public interface Saver {
        /**
         * @param dir the checkpoint directory
         * @param tag the tag
         * @return the bytes written
         */
        long save(Path dir, String tag);
    }

    private final Saver saver;
    private final Path dir;
    private final int every;
    private int lastSaved = -1;

    /**
     * @param saver the engine's save
     * @param dir   the checkpoint directory
     * @param every save after every {@code every}-th step, at least 1
     */
    public CheckpointListener(Saver saver, Path dir, int every) {
        this.saver = Objects.requireNonNull(saver, "saver");
        this.dir = Objects.requireNonNull(dir, "dir");
        if (every < 1) {
            throw new IllegalArgumentException("save every " + every + " steps is not allowed; use at least 1");
        }
        this.every = every;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        int steps = iteration + 1;
        if (steps % every == 0 && steps != lastSaved) {
            saver.save(dir, "global_step" + steps);
            lastSaved = steps;
        }
    }
}
