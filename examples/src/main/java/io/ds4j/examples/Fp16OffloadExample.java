package io.ds4j.examples;

import io.ds4j.cli.train.DigitsModel;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * fp16 with dynamic loss scaling, ZeRO stage 2 and the optimizer (DeepSpeed's AdamW with WarmupLR) offloaded to the
 * CPU ({@code examples/configs/fp16-zero2-offload.json}), written as a DeepSpeed user writes it. The engine runs the
 * {@code optimizer} section itself, keeps each rank's fp32 master shard and AdamW state in host memory, and skips a
 * step whose fp16 gradients overflow. Should the engine refuse a part of the file, {@code build()} throws naming the
 * key and the example prints it rather than silently training something else.
 */
public final class Fp16OffloadExample {
    private Fp16OffloadExample() {
    }

    /**
     * @param refusal the engine's refusal, if it refused
     * @param lossBefore test loss before training (NaN when refused)
     * @param lossAfter test loss after training (NaN when refused)
     * @param skippedSteps steps skipped for fp16 overflow
     * @param lossScale the loss scale at the end
     */
    public record Result(Optional<DeepSpeedConfigException> refusal, double lossBefore, double lossAfter,
                         long skippedSteps, double lossScale) {
    }

    /**
     * @param epochs passes over the training split when the engine accepts the configuration
     * @return what happened
     */
    public static Result run(int epochs) {
        DeepSpeedConfig config = ExampleConfigs.load("fp16-zero2-offload.json");
        int globalBatch = (int) config.resolve(2).trainBatchSize().getAsLong();
        DataSet[] split = OptDigits.split(1437, 11);
        ComputationGraph net = DigitsModel.build(new Adam(1e-3), 11);
        double before = net.score(split[1]);
        ZeroTrainer trainer;
        try {
            trainer = ZeroTrainer.builder(net).config(config).worldSize(2).build();
        } catch (DeepSpeedConfigException e) {
            return new Result(Optional.of(e), Double.NaN, Double.NaN, 0, Double.NaN);
        }
        try (trainer) {
            trainer.fit(OptDigits.iterator(split[0], globalBatch, 11), epochs);
            return new Result(Optional.empty(), before, net.score(split[1]), trainer.skippedSteps(),
                    trainer.lossScale().value());
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(3);
        if (r.refusal().isPresent()) {
            System.out.println("the engine refused the configuration: " + r.refusal().get().getMessage());
        } else {
            System.out.printf("fp16 + ZeRO-2 + CPU offload, 2 ranks: test loss %.4f -> %.4f, %d steps skipped for"
                    + " overflow, loss scale now %s%n", r.lossBefore(), r.lossAfter(), r.skippedSteps(),
                    io.ds4j.precision.LossScale.format(r.lossScale()));
        }
    }
}
