package io.ds4j.examples;

import io.ds4j.data.OptDigits;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.Schedules;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A plain DL4J MultiLayerNetwork, no ZeRO, whose Adam learning rate follows DeepSpeed's {@code WarmupDecayLR}: the
 * {@code scheduler} section's type and params go to {@link Schedules#create}, and {@code toLrSchedule()} gives the
 * ND4J {@code ISchedule} for the updater. The schedule serializes with the network.
 */
public final class ScheduleExample {
    /** DeepSpeed's {@code scheduler.params} of this example. */
    public static final Map<String, Object> PARAMS = Map.of("warmup_min_lr", 0.0, "warmup_max_lr", 3e-3,
            "warmup_num_steps", 20L, "total_num_steps", 200L, "warmup_type", "linear");

    private ScheduleExample() {
    }

    /**
     * @param lossBefore test loss before training
     * @param lossAfter test loss after training
     * @param net the trained network (its iteration count is the number of updates)
     */
    public record Result(double lossBefore, double lossAfter, MultiLayerNetwork net) {
    }

    /** @return the network: 64 -> 64 -> 10, Adam with the WarmupDecayLR schedule */
    public static MultiLayerNetwork network() {
        LrSchedule schedule = Schedules.create("WarmupDecayLR", PARAMS, 3e-3);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5)
                .updater(Adam.builder().learningRateSchedule(schedule.toLrSchedule()).build())
                .list()
                .layer(new DenseLayer.Builder().nIn(OptDigits.FEATURES).nOut(64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(64).nOut(OptDigits.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * @param epochs passes over the training split (batch 32)
     * @return what happened
     */
    public static Result run(int epochs) {
        DataSet[] split = OptDigits.split(1437, 5);
        MultiLayerNetwork net = network();
        double before = net.score(split[1]);
        net.fit(OptDigits.iterator(split[0], 32, 5), epochs);
        return new Result(before, net.score(split[1]), net);
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Result r = run(4);
        System.out.printf("MultiLayerNetwork with DeepSpeed WarmupDecayLR: %d updates, test loss %.4f -> %.4f,"
                + " lr now %.3e%n", r.net().getIterationCount(), r.lossBefore(), r.lossAfter(),
                r.net().getLayerWiseConfigurations().getConf(0).getLayer().getUpdaterByParam("W")
                        .getLearningRate(r.net().getIterationCount(), 0));
    }
}
