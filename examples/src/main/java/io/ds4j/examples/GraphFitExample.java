package io.ds4j.examples;

import io.ds4j.cli.train.DigitsModel;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.DeepSpeed;
import io.ds4j.dl4j.DeepSpeedEngine;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@code DeepSpeed.initialize(net, config)} on a ComputationGraph, then DL4J's own {@code net.fit(iterator)}: ds4j's
 * step (here {@code gradient_clipping} 1.0 from {@code examples/configs/graph-fit.json}) runs inside DL4J's fit.
 */
public final class GraphFitExample {
    private GraphFitExample() {
    }

    /**
     * @param lossBefore the test loss before training
     * @param lossAfter the test loss after training
     * @param accuracy the test accuracy after training
     * @param engineSteps the optimizer steps ds4j ran
     */
    public record Result(double lossBefore, double lossAfter, double accuracy, long engineSteps) {
    }

    /**
     * @param epochs passes over the training split
     * @return what happened
     */
    public static Result run(int epochs) {
        DeepSpeedConfig config = ExampleConfigs.load("graph-fit.json");
        int batch = (int) config.resolve(1).trainBatchSize().getAsLong();
        DataSet[] split = OptDigits.split(1437, 7);
        ComputationGraph net = DigitsModel.build(new Adam(1e-3), 7);
        double before = net.score(split[1]);
        try (DeepSpeedEngine engine = DeepSpeed.initialize(net, config)) {
            DataSetIterator train = OptDigits.iterator(split[0], batch, 7);
            net.fit(train, epochs);
            long steps = engine.steps();
            Evaluation eval = net.evaluate(OptDigits.iterator(split[1], 360, 7));
            return new Result(before, net.score(split[1]), eval.accuracy(), steps);
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(3);
        System.out.printf("ComputationGraph.fit() under DeepSpeed.initialize: %d ds4j steps, test loss %.4f -> %.4f,"
                + " test accuracy %.4f%n", r.engineSteps(), r.lossBefore(), r.lossAfter(), r.accuracy());
    }
}
