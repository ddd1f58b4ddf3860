package io.ds4j.examples;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * fp16 with dynamic loss scaling, ZeRO stage 2 and the optimizer offloaded to the CPU
 * ({@code examples/configs/fp16-zero2-offload.json}), written as a DeepSpeed user writes it, with DeepSpeed's Adam
 * section (offload needs DeepSpeed's optimizer, as in DeepSpeed). The engine runs it: fp32 master shards and Adam
 * state in host memory, the network computing on fp16-representable values with DeepSpeed's dynamic loss scale.
 * Should the engine refuse a key, the example prints the refusal instead of silently training in fp32.
 */
public final class Fp16OffloadExample {
    private Fp16OffloadExample() {
    }

    /**
     * @param refusal the engine's refusal, if it refused
     * @param lossBefore test loss before training (NaN when refused)
     * @param lossAfter test loss after training (NaN when refused)
     */
    public record Result(Optional<DeepSpeedConfigException> refusal, double lossBefore, double lossAfter) {
    }

    /**
     * @param epochs passes over the training split when the engine accepts the configuration
     * @return what happened
     */
    public static Result run(int epochs) {
        DeepSpeedConfig config = ExampleConfigs.load("fp16-zero2-offload.json");
        int globalBatch = (int) config.resolve(2).trainBatchSize().getAsLong();
        DataSet[] split = OptDigits.split(1437, 11);
        ComputationGraph net = ZeroTrainerExample.network();
        double before = net.score(split[1]);
        ZeroTrainer trainer;
        try {
            trainer = ZeroTrainer.builder(net).config(config).worldSize(2).build();
        } catch (DeepSpeedConfigException e) {
            return new Result(Optional.of(e), Double.NaN, Double.NaN);
        }
        try (trainer) {
            trainer.fit(OptDigits.iterator(split[0], globalBatch, 11), epochs);
            return new Result(Optional.empty(), before, net.score(split[1]));
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(3);
        if (r.refusal().isPresent()) {
            System.out.println("the engine refused the configuration: " + r.refusal().get().getMessage());
        } else {
            System.out.printf("fp16 + ZeRO-2 + CPU offload, 2 ranks: test loss %.4f -> %.4f%n", r.lossBefore(),
                    r.lossAfter());
        }
    }
}
