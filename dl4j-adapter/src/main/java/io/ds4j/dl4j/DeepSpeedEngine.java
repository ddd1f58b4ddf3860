package io.ds4j.dl4j;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;

/**
 * The handle {@link DeepSpeed#initialize} returns: while open, the network's own {@code fit(...)} runs ds4j's step.
 * {@link #close()} puts a plain DL4J updater back, holding the same optimizer state, and the updaters' previous
 * learning-rate schedules (when a {@code scheduler} section installed one), so training can continue without ds4j;
 * with fp16/bf16 it also puts the network's own loss functions back and writes the fp32 master into its parameters,
 * so the network is a normal fp32 DL4J model again.
 *
 * <p>States: OPEN after {@code initialize}, CLOSED after {@code close()} (idempotent); queries after close throw.
 */
public final class DeepSpeedEngine implements AutoCloseable {

    private final Model net;
    private final EngineOptions options;
    private final LocalStep step;
    private final Runnable restoreSchedule;
    private boolean closed;

    DeepSpeedEngine(Model net, EngineOptions options, LocalStep step, Runnable restoreSchedule) {
        this.net = net;
        this.options = options;
        this.step = step;
        this.restoreSchedule = restoreSchedule;
    }

    /** @return the network this engine trains */
    public Model network() {
        return net;
    }

    /** @return the options in force */
    public EngineOptions options() {
        return options;
    }

    /** @return the global gradient L2 norm (averaged gradient, before clipping) of the last step; NaN before one */
    public double lastGradientNorm() {
        checkOpen();
        return step.lastGradientNorm();
    }

    /** @return the number of optimizer steps ds4j ran for this network */
    public long steps() {
        checkOpen();
        return step.steps();
    }

    /** @return the loss scale the next step's gradients carry (1 without fp16) */
    public io.ds4j.precision.LossScale lossScale() {
        checkOpen();
        return step.lossScale();
    }

    /** @return the number of steps skipped because their gradients overflowed (counted in {@link #steps()}) */
    public long skippedSteps() {
        checkOpen();
        return step.skippedSteps();
    }

    /**
     * @return the applied mixed-precision steps after which DL4J's fp32 {@code params - update} could not equal the
     *         rounded master exactly for some element, so the engine's first listener wrote it (0 in fp32)
     */
    public long repairedSteps() {
        checkOpen();
        return step.repairedSteps();
    }

    /**
     * Saves a checkpoint of this world of one, as {@code ZeroTrainer.saveCheckpoint} does (layout, atomicity, the
     * position: DL4J's iteration and epoch counts, the skipped steps, the calling thread's ND4J random state). Call it
     * between {@code fit} calls or from a listener (a {@link io.ds4j.dl4j.checkpoint.CheckpointListener}).
     *
     * @param dir the checkpoint directory
     * @param tag the tag
     * @return the bytes written
     */
    public long saveCheckpoint(java.nio.file.Path dir, String tag) {
        checkOpen();
        Replica r = new Replica(net);
        return TrainerCheckpoints.save(dir, tag, r, step.checkpointState(), TrainerCheckpoints.position(
                r.iterationCount(), r.epochCount(), 0, step.skippedSteps()), step.configHash(), null);
    }

    /**
     * Loads the checkpoint {@code dir/latest} names into this engine and its network (any world size and stage 0-3
     * saved it): fp32 master, compute copy, optimizer state (the network's DL4J updater state, or the DeepSpeed
     * optimizer's), loss scale, iteration and epoch counts, random state. DL4J's {@code fit} cannot skip batches, so
     * feed it the data from where the run stopped. A bad checkpoint throws
     * {@link io.ds4j.zero.checkpoint.CheckpointException} naming the file and changes nothing.
     *
     * @param dir the checkpoint directory
     * @param tag the tag, or null for the one {@code dir/latest} names
     * @param validation what a checkpoint saved under another configuration does ({@code checkpoint.tag_validation})
     * @return the position loaded
     */
    public io.ds4j.dl4j.checkpoint.TrainingPosition loadCheckpoint(java.nio.file.Path dir, String tag,
            io.ds4j.dl4j.checkpoint.TagValidation validation) {
        checkOpen();
        io.ds4j.dl4j.checkpoint.TrainingPosition p = TrainerCheckpoints.load(dir, java.util.Optional.ofNullable(tag),
                new Replica(net), step.checkpointState(), step.configHash(), validation, null);
        step.restoreSkipped(p.skippedSteps());
        return p;
    }

    /**
     * {@link #loadCheckpoint(java.nio.file.Path, String, io.ds4j.dl4j.checkpoint.TagValidation)} of {@code latest},
     * warning on another configuration.
     *
     * @param dir the checkpoint directory
     * @return the position loaded
     */
    public io.ds4j.dl4j.checkpoint.TrainingPosition loadCheckpoint(java.nio.file.Path dir) {
        return loadCheckpoint(dir, null, io.ds4j.dl4j.checkpoint.TagValidation.WARN);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this DeepSpeedEngine is CLOSED; call DeepSpeed.initialize again");
        }
    }

    /** Puts DL4J's own updater back, keeping the optimizer state. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        restoreSchedule.run();
        step.close();
        if (net instanceof MultiLayerNetwork mln) {
            mln.setUpdater(new MultiLayerUpdater(mln, mln.getUpdater().getStateViewArray()));
        } else if (net instanceof ComputationGraph cg) {
            cg.setUpdater(new ComputationGraphUpdater(cg, cg.getUpdater().getStateViewArray()));
        }
    }
}
