package io.ds4j.cli.train;

import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.dl4j.checkpoint.CheckpointListener;
import io.ds4j.zero.checkpoint.CheckpointDirectory;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * {@code ds4j train}'s checkpoints: {@code --save-dir D} saves the last step as {@code D/global_step<N>} (N: steps
 * applied) (and every {@code --save-every K} steps on the way), {@code --resume} loads {@code D/latest} first and
 * trains the remaining steps of the same run (the batches already trained are skipped); with no checkpoint in {@code D}
 * yet it starts from step 0, so one command line can be rerun after a crash.
 *
 * @param dir    the checkpoint directory, or null for no checkpoints
 * @param every  save every this many steps (0: only at the end)
 * @param resume whether to load {@code dir/latest} before training
 */
public record Saving(Path dir, int every, boolean resume) {

    /** No checkpoints. */
    public static final Saving NONE = new Saving(null, 0, false);

    /** Checks the combination. */
    public Saving {
        if (every < 0) {
            throw new IllegalArgumentException("--save-every: " + every + " is not allowed; use an integer >= 1");
        }
        if (dir == null && (every > 0 || resume)) {
            throw new IllegalArgumentException((resume ? "--resume" : "--save-every") + " needs --save-dir D");
        }
    }

    /** Loads {@code dir/latest} when asked and there is one; says what it did on {@code err}. */
    void resumeIfAsked(ZeroTrainer trainer, Model net, PrintStream err) {
        if (!resume) {
            return;
        }
        if (!Files.exists(dir.resolve(CheckpointDirectory.LATEST))) {
            err.println("  --resume: no checkpoint in " + dir + " yet; starting from step 0");
            return;
        }
        trainer.loadCheckpoint(dir);
        err.println("  resumed from " + dir.resolve(new CheckpointDirectory(dir).latestTag()) + " after "
                + iterations(net) + " steps");
    }

    /**
     * The listener that saves every {@link #every} steps and after the run's last batch. The last save happens inside
     * the epoch, so it records the batches trained and {@code --resume} with more {@code --steps} goes on with the
     * next batch of the same run.
     *
     * @param trainer the trainer
     * @param steps   the run's batches ({@code --steps})
     * @return the listener, if checkpoints are asked for
     */
    Optional<TrainingListener> listener(ZeroTrainer trainer, int steps) {
        if (dir == null) {
            return Optional.empty();
        }
        CheckpointListener periodic = every == 0 ? null : new CheckpointListener(trainer::saveCheckpoint, dir, every);
        return Optional.of(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (periodic != null) {
                    periodic.iterationDone(model, iteration, epoch);
                }
                int after = trainer.lastStepSkipped() ? iteration : iteration + 1;
                String tag = "global_step" + after;
                if (after + trainer.skippedSteps() == steps && !Files.isDirectory(dir.resolve(tag))) {
                    trainer.saveCheckpoint(dir, tag);
                }
            }
        });
    }

    private static int iterations(Model net) {
        return net instanceof org.deeplearning4j.nn.graph.ComputationGraph g ? g.getIterationCount()
                : ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) net).getIterationCount();
    }
}
