package io.ds4j.sweep;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.TaskCreator;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.StatusListener;

/**
 * An Arbiter {@link TaskCreator} that trains each {@link SweepCandidate} with {@code ZeroTrainer}: the candidate's
 * DeepSpeed configuration, network and world size; then scores it with the runner's score function (Arbiter's
 * {@code TestSetLossScoreFunction}, {@code TestSetAccuracyScoreFunction}, {@code EvaluationScoreFunction}...) and
 * hands it to the runner's result saver, if any.
 *
 * <p><b>Data.</b> The training data is one {@code DataSetIterator} (or {@code MultiDataSetIterator}) whose every
 * batch is one global batch, as {@code ZeroTrainer.fit} takes it. Because a candidate may vary
 * {@code train_batch_size} or the world size, the data provider (or data source) receives, besides the generator's
 * data parameters, {@value #WORLD_SIZE} and, when the configuration fixes it, {@value #TRAIN_BATCH_SIZE} (the
 * resolved {@code train_batch_size}).
 *
 * <p><b>Failures.</b> A candidate whose configuration is invalid ({@code DeepSpeedConfigException}), that the
 * engine refuses, whose training fails or whose score is not finite returns a failed result with the error in its
 * {@link CandidateReport} and the stack trace in its {@code CandidateInfo}; the runner counts it as failed and goes
 * on. Every result's model-specific results are its {@link CandidateReport}.
 *
 * <p><b>Running.</b> Use it with {@code LocalOptimizationRunner}'s default of one task at a time: each candidate's
 * ranks then share all the machine's cores ({@code ZeroTrainer}'s default threads per rank). The runner's status
 * listeners get {@code Running}, then {@code Complete} or {@code Failed} (with the result) for every candidate.
 */
public final class ZeroTrainerTaskCreator implements TaskCreator {
    /** Data parameter: the candidate's world size (an Integer; a string in a data source's properties). */
    public static final String WORLD_SIZE = "ds4j.world_size";
    /** Data parameter: the candidate's resolved {@code train_batch_size} (a Long), absent when {@code "auto"}. */
    public static final String TRAIN_BATCH_SIZE = "ds4j.train_batch_size";

    private final int epochs;

    /** Trains one pass over the training data per candidate (unless the network space says how many). */
    public ZeroTrainerTaskCreator() {
        this(1);
    }

    /**
     * @param epochs passes over the training data per candidate when the network space (a {@code MultiLayerSpace}
     *               or {@code ComputationGraphSpace} with {@code numEpochs}) does not say
     */
    public ZeroTrainerTaskCreator(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs: " + epochs + " is not allowed; use at least 1");
        }
        this.epochs = epochs;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Callable<OptimizationResult> create(Candidate candidate, DataProvider dataProvider,
                                               ScoreFunction scoreFunction, List<StatusListener> statusListeners,
                                               IOptimizationRunner runner) {
        return new CandidateTask(candidate, CandidateData.of(dataProvider, candidate.getDataParameters()),
                new CandidateTask.Context(scoreFunction, statusListeners, runner, epochs));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Callable<OptimizationResult> create(Candidate candidate, Class<? extends DataSource> dataSource,
                                               Properties dataSourceProperties, ScoreFunction scoreFunction,
                                               List<StatusListener> statusListeners, IOptimizationRunner runner) {
        return new CandidateTask(candidate, CandidateData.of(dataSource, dataSourceProperties),
                new CandidateTask.Context(scoreFunction, statusListeners, runner, epochs));
    }
}
