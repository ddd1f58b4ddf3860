package io.ds4j.examples;

import io.ds4j.cli.sweep.OptDigitsProvider;
import io.ds4j.data.OptDigits;
import io.ds4j.sweep.AllCandidatesDone;
import io.ds4j.sweep.BestModelSaver;
import io.ds4j.sweep.CandidateReport;
import io.ds4j.sweep.DeepSpeedConfigSpace;
import io.ds4j.sweep.SweepSpace;
import io.ds4j.sweep.ZeroTrainerTaskCreator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.BaseStatusListener;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxTimeCondition;
import org.deeplearning4j.arbiter.scoring.ScoreFunctions;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A hyperparameter sweep with Arbiter over a DeepSpeed config ({@code examples/configs/sweep-base.json}): the
 * optimizer's learning rate (log-uniform), the WarmupLR warm-up length and the ZeRO stage, on a grid; every candidate
 * trained by {@code ZeroTrainer} with 2 ranks on OptDigits and scored by Arbiter's test-set loss. The best model
 * (a plain DL4J zip) and its resolved config land in {@code sweep-example/}. {@code bin/ds4j sweep} runs the same kind
 * of sweep from a JSON file.
 */
public final class SweepExample {
    private SweepExample() {
    }

    /**
     * @param candidates every candidate's report, best first
     * @param completed  how many trained and scored
     * @param failed     how many failed (an invalid config, a diverged run)
     * @param bestModel  the best candidate's model zip
     */
    public record Result(List<CandidateReport> candidates, int completed, int failed, Path bestModel) {
    }

    /** @return the network each candidate starts from (same seed, same weights): 64 -> 128 -> 10 */
    static ComputationGraph network() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(7)
                .updater(new Adam(1e-3)) // what trains is the config's optimizer section; this is only its "auto"
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(OptDigits.FEATURES))
                .addLayer("hidden", new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(OptDigits.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build());
        net.init();
        return net;
    }

    /**
     * @param lrPoints grid points of the learning rate between 3e-4 and 1e-2 (log-spaced)
     * @param steps    optimizer steps per candidate
     * @param out      where the best model and config go
     * @return what the sweep found
     */
    public static Result run(int lrPoints, int steps, Path out) {
        DeepSpeedConfigSpace config = DeepSpeedConfigSpace.builder(read(ExampleConfigs.path("sweep-base.json")))
                .vary("optimizer.params.lr", DeepSpeedConfigSpace.logUniform(3e-4, 1e-2))
                .vary("scheduler.params.warmup_num_steps", new DiscreteParameterSpace<>(Math.max(1, steps / 6),
                        Math.max(1, steps / 2)))
                .vary("zero_optimization.stage", new DiscreteParameterSpace<>(1, 2, 3))
                .build();
        SweepSpace space = SweepSpace.builder(config).network(SweepExample::network).worldSize(2).build();
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(new GridSearchCandidateGenerator(space, lrPoints,
                        GridSearchCandidateGenerator.Mode.Sequential, null))
                .dataProvider(new OptDigitsProvider(steps)) // global batches of the candidate's train_batch_size
                .scoreFunction(ScoreFunctions.testSetLoss(true))
                .modelSaver(new BestModelSaver(out, true))
                .terminationConditions(new AllCandidatesDone(), new MaxTimeCondition(10, TimeUnit.MINUTES))
                .build();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(conf, new ZeroTrainerTaskCreator());
        List<CandidateReport> reports = Collections.synchronizedList(new ArrayList<>());
        runner.addListeners(new BaseStatusListener() {
            @Override
            public void onCandidateStatusChange(CandidateInfo info, IOptimizationRunner r, OptimizationResult res) {
                if (res != null && res.getModelSpecificResults() instanceof CandidateReport c) {
                    reports.add(c);
                    System.out.println(line(c));
                }
            }
        });
        runner.execute();
        List<CandidateReport> ranked = new ArrayList<>(reports);
        ranked.sort(Comparator.comparing((CandidateReport c) -> !c.completed())
                .thenComparingDouble(CandidateReport::score));
        return new Result(ranked, runner.numCandidatesCompleted(), runner.numCandidatesFailed(),
                out.resolve(BestModelSaver.MODEL));
    }

    static String line(CandidateReport c) {
        return String.format(Locale.ROOT, "candidate %2d  lr %.2e  warmup %2s  stage %s  %s", c.index(),
                (Double) c.varied().get("optimizer.params.lr"), c.varied().get("scheduler.params.warmup_num_steps"),
                c.varied().get("zero_optimization.stage"), c.completed() ? String.format(Locale.ROOT,
                        "test loss %.4f  (%.1f s)", c.score(), c.seconds()) : "FAILED: " + c.error());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(3, 60, Path.of("sweep-example"));
        System.out.println("\nranked by test loss:");
        r.candidates().forEach(c -> System.out.println(line(c)));
        System.out.printf("%d completed, %d failed; best model: %s%n", r.completed(), r.failed(), r.bestModel());
    }
}
