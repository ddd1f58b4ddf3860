package io.ds4j.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.sweep.OptDigitsProvider;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.data.OptDigits;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.arbiter.ComputationGraphSpace;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.layers.DenseLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.BaseStatusListener;
import org.deeplearning4j.arbiter.scoring.ScoreFunctions;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Arbiter's own network spaces in a ds4j sweep on DL4J M2.1: a MultiLayerSpace and a ComputationGraphSpace searching
 * the hidden width while the DeepSpeed config space searches the ZeRO stage; every candidate trained at 2 ranks.
 */
class NetworkSpaceSweepTest {
    /** Parameters of 64 -> h -> 10: (64 + 1) h + (h + 1) 10. */
    private static long params(int hidden) {
        return 65L * hidden + (hidden + 1) * 10L;
    }

    private static List<SweepCandidate> sweep(ParameterSpace<?> network, int stages) {
        DeepSpeedConfigSpace config = DeepSpeedConfigSpace.builder(TrainJob.defaultConfig())
                .vary("zero_optimization.stage", stages == 2 ? new DiscreteParameterSpace<>(1, 3)
                        : new DiscreteParameterSpace<>(2)).build();
        SweepSpace space = SweepSpace.builder(config).network(network).worldSize(2).build();
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(new GridSearchCandidateGenerator(space, 2,
                        GridSearchCandidateGenerator.Mode.Sequential, null))
                .dataProvider(new OptDigitsProvider(3))
                .scoreFunction(ScoreFunctions.testSetAccuracy())
                .terminationConditions(new AllCandidatesDone()).build();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(conf, new ZeroTrainerTaskCreator());
        List<SweepCandidate> done = Collections.synchronizedList(new ArrayList<>());
        runner.addListeners(new BaseStatusListener() {
            @Override
            public void onCandidateStatusChange(CandidateInfo info, IOptimizationRunner r, OptimizationResult res) {
                if (res != null) {
                    CandidateReport report = (CandidateReport) res.getModelSpecificResults();
                    assertTrue(report.completed(), report.error());
                    assertTrue(report.score() > 0 && report.score() <= 1, "accuracy " + report.score());
                    done.add((SweepCandidate) res.getCandidate().getValue());
                }
            }
        });
        runner.execute();
        assertEquals(runner.numCandidatesCompleted(), done.size());
        assertEquals(0, runner.numCandidatesFailed());
        return done;
    }

    private static Set<Long> sizes(List<SweepCandidate> candidates) {
        Set<Long> out = new TreeSet<>();
        candidates.forEach(c -> out.add(Networks.create(c.network()).numParams()));
        return out;
    }

    @Test
    void multiLayerSpaceWidthTimesZeroStage() {
        MultiLayerSpace mls = new MultiLayerSpace.Builder().seed(5).updater(new Adam(1e-3))
                .addLayer(new DenseLayerSpace.Builder().nIn(OptDigits.FEATURES)
                        .nOut(new DiscreteParameterSpace<>(16, 32)).activation(Activation.RELU).build())
                .addLayer(new OutputLayerSpace.Builder().nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build())
                .build();
        List<SweepCandidate> done = sweep(mls, 2);
        assertEquals(4, done.size());
        assertEquals(new TreeSet<>(List.of(params(16), params(32))), sizes(done));
    }

    @Test
    void computationGraphSpaceWidth() {
        ComputationGraphSpace cgs = new ComputationGraphSpace.Builder().seed(5).updater(new Adam(1e-3))
                .addInputs("in").setInputTypes(InputType.feedForward(OptDigits.FEATURES))
                .addLayer("hidden", new DenseLayerSpace.Builder().nOut(new DiscreteParameterSpace<>(16, 32))
                        .activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayerSpace.Builder().nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build(), "hidden")
                .setOutputs("out").build();
        List<SweepCandidate> done = sweep(cgs, 1);
        assertEquals(2, done.size());
        assertEquals(new TreeSet<>(List.of(params(16), params(32))), sizes(done));
    }
}
