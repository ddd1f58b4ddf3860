package io.ds4j.sweep;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.dl4j.ZeroTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultSaver;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.CandidateStatus;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.StatusListener;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * One candidate of a sweep, as {@link ZeroTrainerTaskCreator} makes it: parse the configuration, build the network,
 * train with {@link ZeroTrainer}, score, save. Never throws for the candidate's own failure: it returns a failed
 * result instead (see {@link ZeroTrainerTaskCreator}).
 */
final class CandidateTask implements Callable<OptimizationResult> {
    /** What every task of one runner shares. */
    record Context(ScoreFunction score, List<StatusListener> listeners, IOptimizationRunner runner, int epochs) {
    }

    /** What a completed training leaves: the trained network and its resolved batch. */
    private record Trained(Model net, long trainBatchSize) {
    }

    @SuppressWarnings("rawtypes")
    private final Candidate candidate;
    private final CandidateData data;
    private final Context ctx;

    @SuppressWarnings("rawtypes")
    CandidateTask(Candidate candidate, CandidateData data, Context ctx) {
        this.candidate = candidate;
        this.data = data;
        this.ctx = ctx;
    }

    @Override
    public OptimizationResult call() {
        long start = System.currentTimeMillis();
        long t0 = System.nanoTime();
        notify(status(CandidateStatus.Running, null, start, null), null);
        if (!(candidate.getValue() instanceof SweepCandidate c)) {
            throw new IllegalArgumentException("candidate " + candidate.getIndex() + " is "
                    + candidate.getValue() + "; ZeroTrainerTaskCreator trains the candidates of a SweepSpace");
        }
        Map<String, Object> extra = new HashMap<>();
        extra.put(ZeroTrainerTaskCreator.WORLD_SIZE, c.worldSize());
        long[] batch = {0};
        OptimizationResult result;
        try {
            Trained trained = train(c, extra, batch);
            double score = data.score(ctx.score(), trained.net(), extra);
            if (!Double.isFinite(score)) {
                throw new IllegalStateException("the score is " + score + ": training diverged; try a smaller"
                        + " learning rate");
            }
            CandidateReport report = report(c, true, score, "", trained.trainBatchSize(), t0);
            result = new OptimizationResult(candidate, score, candidate.getIndex(), report,
                    status(CandidateStatus.Complete, score, start, null), null);
            save(result, trained.net());
        } catch (RuntimeException | IOException e) {
            String error = e instanceof IOException ? "cannot save the model: " + e.getMessage() : message(e);
            CandidateReport report = report(c, false, Double.NaN, error, batch[0], t0);
            result = new OptimizationResult(candidate, null, candidate.getIndex(), report,
                    status(CandidateStatus.Failed, null, start, stackTrace(e)), null);
        }
        notify(result.getCandidateInfo(), result);
        return result;
    }

    private Trained train(SweepCandidate c, Map<String, Object> extra, long[] batch) {
        DeepSpeedConfig config = DeepSpeedConfig.parse(c.config().json());
        batch[0] = config.resolve(c.worldSize()).trainBatchSize().orElse(0);
        if (batch[0] > 0) {
            extra.put(ZeroTrainerTaskCreator.TRAIN_BATCH_SIZE, batch[0]);
        }
        Model net = Networks.create(c.network());
        Object train = data.train(extra);
        int epochs = Networks.epochs(c.network()) > 0 ? Networks.epochs(c.network()) : ctx.epochs();
        try (ZeroTrainer trainer = ZeroTrainer.builder(net).config(config).worldSize(c.worldSize()).build()) {
            if (train instanceof DataSetIterator it) {
                trainer.fit(it, epochs);
            } else if (train instanceof MultiDataSetIterator it) {
                trainer.fit(it, epochs);
            } else {
                throw new IllegalArgumentException("the training data is " + (train == null ? "null"
                        : train.getClass().getName()) + "; a sweep's data provider must give a DataSetIterator or"
                        + " a MultiDataSetIterator");
            }
            if (batch[0] == 0) {
                batch[0] = trainer.batchSizes().map(b -> b.trainBatchSize().orElse(0)).orElse(0L);
            }
        }
        return new Trained(net, batch[0]);
    }

    private void save(OptimizationResult result, Model net) throws IOException {
        ResultSaver saver = ctx.runner() == null ? null : ctx.runner().getConfiguration().getResultSaver();
        if (saver != null) {
            result.setResultReference(saver.saveModel(result, net));
        }
    }

    private CandidateReport report(SweepCandidate c, boolean ok, double score, String error, long batch, long t0) {
        return new CandidateReport(candidate.getIndex(), c.varied(), ok, score, error, c.worldSize(), batch,
                (System.nanoTime() - t0) / 1e9, c.config().json());
    }

    private CandidateInfo status(CandidateStatus s, Double score, long start, String stackTrace) {
        Long end = s == CandidateStatus.Running ? null : System.currentTimeMillis();
        return new CandidateInfo(candidate.getIndex(), s, score, start, start, end, candidate.getFlatParameters(),
                stackTrace);
    }

    private void notify(CandidateInfo info, OptimizationResult result) {
        if (ctx.listeners() != null) {
            for (StatusListener l : ctx.listeners()) {
                l.onCandidateStatusChange(info, ctx.runner(), result);
            }
        }
    }

    /** The configuration's own message ({@code <json.path>: <what is wrong>; <fix>}), else the exception's. */
    static String message(Throwable e) {
        Throwable t = e;
        while (!(t instanceof DeepSpeedConfigException) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof DeepSpeedConfigException) {
            return t.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
