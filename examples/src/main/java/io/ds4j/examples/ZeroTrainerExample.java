package io.ds4j.examples;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.Schedules;
import io.ds4j.zero.ledger.LedgerSnapshot;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Two ranks (threads) train one ComputationGraph with ZeRO stage 2 ({@code examples/configs/zero2-two-ranks.json}):
 * each rank keeps the optimizer state and the reduced gradient of its half of the flat parameter vector only. The
 * optimizer is the network's own DL4J Adam, its learning rate following DeepSpeed's {@code WarmupLR}.
 */
public final class ZeroTrainerExample {
    private ZeroTrainerExample() {
    }

    /**
     * @param lossBefore test loss before training
     * @param lossAfter test loss after training
     * @param accuracy test accuracy after training
     * @param ledgers each rank's memory ledger
     * @param bytesMoved bytes the collectives moved, summed over ranks
     */
    public record Result(double lossBefore, double lossAfter, double accuracy, List<LedgerSnapshot> ledgers,
                         long bytesMoved) {
    }

    /** @return the network: 64 -> 128 -> 10, Adam (lr 2e-3) with DeepSpeed's WarmupLR over 30 steps */
    static ComputationGraph network() {
        LrSchedule warmup = Schedules.create("WarmupLR", Map.of("warmup_min_lr", 0.0, "warmup_max_lr", 2e-3,
                "warmup_num_steps", 30L, "warmup_type", "linear"), 2e-3);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(11)
                .updater(Adam.builder().learningRateSchedule(warmup.toLrSchedule()).build())
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(OptDigits.FEATURES))
                .addLayer("hidden", new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(OptDigits.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /**
     * @param epochs passes over the training split
     * @return what happened
     */
    public static Result run(int epochs) {
        DeepSpeedConfig config = ExampleConfigs.load("zero2-two-ranks.json");
        int globalBatch = (int) config.resolve(2).trainBatchSize().getAsLong();
        DataSet[] split = OptDigits.split(1437, 11);
        ComputationGraph net = network();
        double before = net.score(split[1]);
        try (ZeroTrainer trainer = ZeroTrainer.builder(net).config(config).worldSize(2).build()) {
            trainer.fit(OptDigits.iterator(split[0], globalBatch, 11), epochs);
            Evaluation eval = net.evaluate(OptDigits.iterator(split[1], 360, 11));
            return new Result(before, net.score(split[1]), eval.accuracy(), trainer.memoryReport(),
                    trainer.commStats().totalBytes());
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(5);
        System.out.printf("ZeroTrainer, 2 ranks, ZeRO-2: test loss %.4f -> %.4f, test accuracy %.4f, %d bytes moved%n",
                r.lossBefore(), r.lossAfter(), r.accuracy(), r.bytesMoved());
        r.ledgers().forEach(l -> System.out.println("rank " + l.rank() + "\n" + l.toTable()));
    }
}
