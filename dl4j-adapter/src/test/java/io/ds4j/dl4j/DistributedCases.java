package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The training cases {@link DistributedTrainerTest} runs both with ranks as processes and with ranks as threads:
 * stages 0-3, with and without optimizer offload (cpu; at stage 3 also parameter offload, cpu and nvme), fp32 and fp16,
 * and at stage 3 a network built partitioned (not initialised) in every process; the same global batches (12
 * examples, so that 2 and 3 ranks split them evenly) and the same net.
 */
final class DistributedCases {
    static final int STEPS = 3;
    static final int GLOBAL = 12;

    /** One case: a name and its DeepSpeed config. */
    record Case(String name, String json) {
        /** The net: the dense MLP with per-layer updaters, or (stage 3, a DeepSpeed optimizer) a plain one. */
        MultiLayerNetwork net() {
            return net(0);
        }

        /**
         * Rank {@code rank}'s net. A partitioned case's is not initialised and, but for rank 0's, has another seed
         * (the trainer must start every process from rank 0's): the thread run, rank 0's net, is the reference.
         */
        MultiLayerNetwork net(int rank) {
            if (name.contains("partitioned")) {
                return new MultiLayerNetwork(TestNets.sgdMln(7 + rank, new org.nd4j.linalg.learning.config.Adam(0.01))
                        .getLayerWiseConfigurations().clone());
            }
            return json.contains("\"optimizer\"") || name.startsWith("stage3")
                    ? TestNets.sgdMln(7, new org.nd4j.linalg.learning.config.Adam(0.01)) : TestNets.denseMln(7);
        }

        DeepSpeedConfig config() {
            return DeepSpeedConfig.parse(json);
        }
    }

    private DistributedCases() {
    }

    static List<Case> cases() {
        String adam = "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}, ";
        String fp16 = "\"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}, ";
        String nvme = "{\"device\": \"nvme\", \"nvme_path\": \""
                + System.getProperty("java.io.tmpdir").replace("\\", "/") + "\"}";
        return List.of(
                new Case("stage0", json(0, "", "")),
                new Case("stage1-fp16", json(1, "", fp16)),
                new Case("stage2", json(2, "", "")),
                new Case("stage2-cpu-offload", json(2, "\"offload_optimizer\": {\"device\": \"cpu\"}", adam)),
                new Case("stage3", json(3, "", "")),
                new Case("stage3-fp16", json(3, "", fp16)),
                new Case("stage3-cpu-offload", json(3, "\"offload_optimizer\": {\"device\": \"cpu\"},"
                        + " \"offload_param\": {\"device\": \"cpu\"}", adam)),
                new Case("stage3-nvme-offload", json(3, "\"offload_optimizer\": " + nvme + ", \"offload_param\": "
                        + nvme, adam)),
                new Case("stage3-partitioned", json(3, "", "")));
    }

    /** The cases whose name starts with {@code prefix}. */
    static List<Case> cases(String prefix) {
        return cases().stream().filter(c -> c.name().startsWith(prefix)).toList();
    }

    private static String json(int stage, String zeroExtra, String top) {
        return "{" + top + "\"train_batch_size\": " + GLOBAL + ", \"gradient_accumulation_steps\": 1,"
                + " \"zero_optimization\": {\"stage\": " + stage + (zeroExtra.isEmpty() ? "" : ", " + zeroExtra)
                + "}}";
    }

    /** Global batch {@code s}: 6 features, 3 one-hot classes, values from a formula (no random generator). */
    static DataSet global(int s) {
        float[][] x = new float[GLOBAL][6];
        float[][] y = new float[GLOBAL][3];
        for (int i = 0; i < GLOBAL; i++) {
            for (int j = 0; j < 6; j++) {
                x[i][j] = (float) Math.sin(0.37 * (s * GLOBAL + i) + 1.1 * j);
            }
            y[i][(s + i) % 3] = 1;
        }
        return new DataSet(Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.create(y).castTo(DataType.FLOAT));
    }

    static List<DataSet> globals() {
        List<DataSet> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            out.add(global(s));
        }
        return out;
    }

    /** Rank r's micro-batches: micro-batch r of each global batch split into {@code worldSize} (accumulation 1). */
    static List<DataSet> micro(int rank, int worldSize) {
        int m = GLOBAL / worldSize;
        List<DataSet> out = new ArrayList<>();
        for (DataSet g : globals()) {
            out.add(new DataSet(
                    g.getFeatures().get(NDArrayIndex.interval(rank * m, (rank + 1) * m), NDArrayIndex.all()).dup(),
                    g.getLabels().get(NDArrayIndex.interval(rank * m, (rank + 1) * m), NDArrayIndex.all()).dup()));
        }
        return out;
    }
}
