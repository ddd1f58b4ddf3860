package io.ds4j.dl4j;

import java.nio.file.Path;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A checkpoint case that may run at stage 3: {@link CheckpointCases.Case}'s network ({@code denseMln}) has
 * per-layer gradient normalization, which stage 3 refuses, so these cases train {@code plainDenseMln} (Adam and
 * Nesterovs blocks, l2) with the network's own DL4J updaters, or {@code sgdMln} under DeepSpeed's Adam, at any stage,
 * with {@code offload_param} (stage 3) and {@code offload_optimizer} (DeepSpeed's Adam) each none, cpu or nvme. At
 * stage 3 the persistence threshold of 20 elements keeps the biases gathered between steps (persistent) and shards
 * the weights, so a load refreshes both kinds.
 *
 * @param stage       zero_optimization.stage
 * @param precision   fp32, fp16 or bf16
 * @param param       offload_param device: none, cpu or nvme (stage 3 only)
 * @param optimizer   offload_optimizer device: none, cpu or nvme (needs dsAdam)
 * @param dsAdam      a DeepSpeed Adam section instead of the network's own DL4J updaters
 * @param world       ranks
 * @param partitioned the network is handed over without {@code init()} (stage 3's partitioned construction)
 */
record Stage3CheckpointCases(int stage, String precision, String param, String optimizer, boolean dsAdam, int world,
                             boolean partitioned) {

    static Stage3CheckpointCases of(int stage, String precision, int world) {
        return new Stage3CheckpointCases(stage, precision, "none", "none", false, world, false);
    }

    Stage3CheckpointCases offload(String paramDevice, String optimizerDevice) {
        return new Stage3CheckpointCases(stage, precision, paramDevice, optimizerDevice, dsAdam, world, partitioned);
    }

    Stage3CheckpointCases adam() {
        return new Stage3CheckpointCases(stage, precision, param, optimizer, true, world, partitioned);
    }

    Stage3CheckpointCases partitionedConstruction() {
        return new Stage3CheckpointCases(stage, precision, param, optimizer, dsAdam, world, true);
    }

    private static String offload(String key, String device, Path nvme) {
        return switch (device) {
            case "none" -> "";
            case "cpu" -> ", \"" + key + "\": {\"device\": \"cpu\"}";
            default -> ", \"" + key + "\": {\"device\": \"nvme\", \"nvme_path\": \""
                    + nvme.toString().replace("\\", "\\\\") + "\"}";
        };
    }

    String json(Path nvme) {
        String prec = switch (precision) {
            case "fp16" -> ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 17, \"loss_scale_window\": 2,"
                    + " \"hysteresis\": 2}";
            case "bf16" -> ", \"bf16\": {\"enabled\": true}";
            default -> "";
        };
        String knobs = stage == 3 ? ", \"stage3_param_persistence_threshold\": 20" : "";
        String opt = dsAdam ? ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.02}}" : "";
        return String.format(Locale.ROOT, "{\"train_batch_size\": %d, \"gradient_clipping\": 1.0,"
                        + " \"zero_optimization\": {\"stage\": %d, \"sub_group_size\": 50%s%s%s}%s%s}",
                CheckpointCases.BATCH, stage, knobs, offload("offload_param", param, nvme),
                offload("offload_optimizer", optimizer, nvme), prec, opt);
    }

    /** @return the network, initialised unless {@link #partitioned} */
    MultiLayerNetwork net(long seed) {
        MultiLayerNetwork n = dsAdam ? TestNets.sgdMln(seed, new Adam(1e-2)) : TestNets.plainDenseMln(seed);
        return partitioned ? new MultiLayerNetwork(n.getLayerWiseConfigurations().clone()) : n;
    }

    ZeroTrainer trainer(MultiLayerNetwork net, Path nvme) {
        return CheckpointCases.trainer(net, json(nvme), world, nvme);
    }

    /** @return the trained parameters (a network built partitioned is materialised first) */
    static float[] params(ZeroTrainer t) {
        return t.network().params().toFloatVector();
    }

    @Override
    public String toString() {
        return "stage " + stage + " " + precision + " param " + param + " optimizer " + optimizer
                + (dsAdam ? " DS-Adam" : " DL4J-updaters") + " x" + world + (partitioned ? " partitioned" : "");
    }
}
