package io.ds4j.dl4j;

import java.util.Iterator;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * The loop of a {@link ZeroTrainer}'s {@code fit}: epochs over an iterator, reset between them; each epoch's global
 * batches, refused when DL4J would cut them into truncated-BPTT segments, handed to the engine one step at a time
 * ({@link StageEngine#step}) through the rank group's feed; and the facade's part of each step: the
 * {@code csv_monitor}, then the listeners, and DL4J's iteration and epoch counts. A step that throws closes the
 * trainer (the shards may be partly updated; stores and nvme files are released).
 */
final class EpochLoop {

    /**
     * An iterator as passes of global batches.
     *
     * @param open       the batches of the next pass
     * @param resettable whether the iterator supports {@code reset()}
     * @param reset      resets the iterator
     */
    record Passes(Supplier<Iterator<MultiDataSet>> open, BooleanSupplier resettable, Runnable reset) {
        /** A single-input iterator's batches as multi-datasets (features, labels and their masks). */
        static Passes of(DataSetIterator it) {
            return new Passes(() -> new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public MultiDataSet next() {
                    org.nd4j.linalg.dataset.DataSet d = (org.nd4j.linalg.dataset.DataSet) it.next();
                    return new org.nd4j.linalg.dataset.MultiDataSet(d.getFeatures(), d.getLabels(),
                            d.getFeaturesMaskArray(), d.getLabelsMaskArray());
                }
            }, it::resetSupported, it::reset);
        }

        static Passes of(MultiDataSetIterator it) {
            return new Passes(() -> it, it::resetSupported, it::reset);
        }
    }

    /**
     * What the loop drives.
     *
     * @param main           the user's network
     * @param engine         the stage engine
     * @param monitor        the {@code csv_monitor}
     * @param group          this JVM's ranks (their feed)
     * @param batch          how a global batch is split
     * @param accumulation   {@code gradient_accumulation_steps}
     * @param threadsPerRank native threads per rank while an epoch runs
     * @param progress       the training's position (checkpoints)
     * @param onFailure      what a failed step does to the trainer (closes it)
     * @param guard          keeps the process's resident memory near its settled level (after each step)
     */
    record Parts(Replica main, StageEngine engine, TrainingMonitor monitor, RankGroup group, GlobalBatch batch,
                 int accumulation, int threadsPerRank, TrainerProgress progress, Runnable onFailure,
                 ResidentGuard guard) { }

    private final Parts p;

    EpochLoop(Parts parts) {
        this.p = parts;
    }

    /**
     * Trains {@code epochs} passes; when it returns or fails, the user's network holds the fp32 master.
     *
     * @throws IllegalArgumentException when {@code epochs < 1}, or several epochs need a reset the iterator lacks
     */
    void fit(Passes passes, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs: " + epochs + " is not allowed; use at least 1");
        }
        p.engine().beginFit();
        try {
            for (int e = 0; e < epochs; e++) {
                Iterator<MultiDataSet> it = passes.open().get();
                if (!it.hasNext() && passes.resettable().getAsBoolean()) {
                    passes.reset().run();
                }
                epoch(it);
                if (e + 1 < epochs) {
                    if (!passes.resettable().getAsBoolean()) {
                        throw new IllegalArgumentException("epochs: " + epochs
                                + " needs an iterator that supports reset()");
                    }
                    passes.reset().run();
                }
            }
        } finally {
            p.engine().endFit(); // the user's network: own loss functions, fp32 master values
        }
    }

    private void epoch(Iterator<MultiDataSet> it) {
        for (long skip = p.progress().startEpoch(); skip > 0 && it.hasNext(); skip--) {
            it.next(); // a loaded checkpoint's epoch goes on where it stopped
        }
        StepSource feed = p.group().feed(checkedSegments(it), p.batch(), p.accumulation());
        Replica main = p.main();
        int baseIteration = main.iterationCount();
        int epoch = main.epochCount();
        for (TrainingListener l : main.listeners()) {
            l.onEpochStart(main.net());
        }
        try (NativeThreads ignored = NativeThreads.open(p.threadsPerRank())) {
            steps(feed, baseIteration, epoch);
        }
        for (TrainingListener l : main.listeners()) {
            l.onEpochEnd(main.net());
        }
        main.incrementEpochCount();
        p.progress().endEpoch();
    }

    /** The global batches, each refused when DL4J's fit() would cut it into truncated-BPTT segments. */
    private Iterator<MultiDataSet> checkedSegments(Iterator<MultiDataSet> it) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public MultiDataSet next() {
                MultiDataSet b = it.next();
                TruncatedBptt.requireOneSegment(p.main().net(), b);
                return b;
            }
        };
    }

    /**
     * The epoch's steps, one {@link StageEngine#step} each, until the feed is exhausted; a skipped (overflowed) step
     * advances neither DL4J's iteration nor the schedules.
     */
    private void steps(StepSource feed, int baseIteration, int epoch) {
        try {
            p.engine().beginEpoch();
            int applied = 0;
            for (int s = 0; ; s++) {
                StageEngine.StepReport r = p.engine().step(feed, s, baseIteration + applied, epoch, this::afterStep);
                if (r == null) {
                    return;
                }
                applied += r.skipped() ? 0 : 1;
            }
        } catch (RuntimeException e) {
            p.onFailure().run(); // the ranks stopped mid-step: shards may be partly updated
            throw e;
        }
    }

    /** The facade's part of each step: the {@code csv_monitor}, the listeners, then the resident-memory guard. */
    private void afterStep(StageEngine.StepReport r) {
        p.monitor().afterStep(r.examples(), r.score(), r.iteration(), r.epoch(), r.used(), r.skipped());
        Replica main = p.main();
        main.setScore(r.score());
        p.progress().step(r.skipped(), r.iteration(), () -> {
            for (TrainingListener l : main.listeners()) {
                l.iterationDone(main.net(), r.iteration(), r.epoch());
            }
        });
        main.setIterationCount(r.skipped() ? r.iteration() : r.iteration() + 1);
        p.guard().afterStep();
    }
}
