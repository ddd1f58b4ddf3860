package io.ds4j.cli.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ds4j.cli.ModelFiles;
import io.ds4j.cli.train.DigitsModel;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.cli.train.WideDigitsModel;
import io.ds4j.sweep.AllCandidatesDone;
import io.ds4j.sweep.BestModelSaver;
import io.ds4j.sweep.DeepSpeedConfigSpace;
import io.ds4j.sweep.NetworkFactory;
import io.ds4j.sweep.SweepCandidate;
import io.ds4j.sweep.SweepSpace;
import io.ds4j.sweep.ZeroTrainerTaskCreator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxTimeCondition;
import org.deeplearning4j.arbiter.optimize.api.termination.TerminationCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.scoring.ScoreFunctions;
import org.deeplearning4j.arbiter.scoring.impl.TestSetLossScoreFunction;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One {@code ds4j sweep}: the sweep file turned into Arbiter's pieces ({@link SweepSpace}, a grid or random
 * generator, the score function, termination conditions, {@link BestModelSaver}) and run by Arbiter's
 * {@link LocalOptimizationRunner} one candidate at a time with {@link ZeroTrainerTaskCreator} on the shipped
 * OptDigits data ({@link OptDigitsProvider}).
 */
public final class SweepRun {
    private SweepRun() {
    }

    /**
     * @param sweep the sweep
     * @param err   where the progress lines go
     * @return every candidate's report and the best one
     * @throws IllegalArgumentException when the model zip cannot be read
     */
    public static SweepResults run(SweepFile sweep, PrintStream err) {
        NetworkFactory network = network(sweep.model());
        network.create(); // a bad zip fails here, before any candidate
        SweepSpace space = space(sweep, network);
        CandidateGenerator generator = generator(sweep, space);
        ScoreFunction score = score(sweep.score());
        BestModelSaver saver = new BestModelSaver(sweep.out(), score.minimize());
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(generator)
                .dataProvider(new OptDigitsProvider(sweep.steps()))
                .scoreFunction(score)
                .modelSaver(saver)
                .rngSeed(sweep.search().seed())
                .terminationConditions(termination(sweep.budget()))
                .build();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(conf, new ZeroTrainerTaskCreator());
        ProgressPrinter progress = new ProgressPrinter(err, sweep.score(), score.minimize(), total(sweep, generator));
        runner.addListeners(progress);
        err.println("ds4j sweep: " + sweep.baseConfig() + " | model " + sweep.model() + " | " + sweep.steps()
                + " steps per candidate | " + sweep.search().type() + " search | score " + sweep.score());
        runner.execute();
        return new SweepResults(new ArrayList<>(sweep.vary().keySet()), progress.reports(), sweep.score(),
                score.minimize(), saver.bestIndex(), sweep.out());
    }

    /** The base configuration with an {@code "auto"} {@code scheduler.params.total_num_steps} set to the steps. */
    static String withRunLength(String baseJson, int steps) {
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode root = json.readTree(baseJson);
            JsonNode params = root.path("scheduler").path("params");
            if (params.isObject() && "auto".equals(params.path("total_num_steps").asText(null))) {
                ((ObjectNode) params).put("total_num_steps", steps);
                return json.writeValueAsString(root);
            }
            return baseJson;
        } catch (IOException e) {
            return baseJson; // malformed: DeepSpeedConfigSpace reports it
        }
    }

    @SuppressWarnings("unchecked")
    private static SweepSpace space(SweepFile sweep, NetworkFactory network) {
        DeepSpeedConfigSpace.Builder config = DeepSpeedConfigSpace.builder(
                withRunLength(sweep.baseConfigJson(), sweep.steps()));
        ParameterSpace<?> worldSizes = null;
        for (VariedKey k : sweep.vary().values()) {
            if (SweepCandidate.WORLD_SIZE.equals(k.path())) {
                worldSizes = k.space();
            } else {
                config.vary(k.path(), k.space());
            }
        }
        SweepSpace.Builder b = SweepSpace.builder(config.build()).network(network).worldSize(sweep.worldSize());
        if (worldSizes != null) {
            b.worldSize((ParameterSpace<Integer>) worldSizes);
        }
        return b.build();
    }

    private static NetworkFactory network(String model) {
        return switch (model) {
            case "digits" -> () -> DigitsModel.build(new Adam(TrainJob.AUTO_LR), TrainJob.SEED);
            case "wide" -> () -> WideDigitsModel.build(new Adam(TrainJob.AUTO_LR), TrainJob.SEED);
            default -> {
                Path zip = Path.of(model);
                yield () -> ModelFiles.load(zip, "model");
            }
        };
    }

    private static CandidateGenerator generator(SweepFile sweep, SweepSpace space) {
        if ("random".equals(sweep.search().type())) {
            return new RandomSearchGenerator(space, null);
        }
        return new GridSearchCandidateGenerator(space, sweep.search().points(),
                GridSearchCandidateGenerator.Mode.Sequential, null);
    }

    static ScoreFunction score(String name) {
        return switch (name) {
            case "test_accuracy" -> ScoreFunctions.testSetAccuracy();
            case "test_f1" -> ScoreFunctions.testSetF1();
            default -> new TestSetLossScoreFunction(true);
        };
    }

    private static List<TerminationCondition> termination(SweepFile.Budget budget) {
        List<TerminationCondition> out = new ArrayList<>();
        out.add(new AllCandidatesDone());
        if (budget.maxCandidates() > 0) {
            out.add(new MaxCandidatesCondition(budget.maxCandidates()));
        }
        if (budget.maxMinutes() > 0) {
            out.add(new MaxTimeCondition(Math.max(1, Math.round(budget.maxMinutes() * 60)), TimeUnit.SECONDS));
        }
        return out;
    }

    private static int total(SweepFile sweep, CandidateGenerator generator) {
        int max = sweep.budget().maxCandidates();
        if (generator instanceof GridSearchCandidateGenerator g) {
            return max > 0 ? Math.min(max, g.getTotalNumCandidates()) : g.getTotalNumCandidates();
        }
        return max;
    }
}
