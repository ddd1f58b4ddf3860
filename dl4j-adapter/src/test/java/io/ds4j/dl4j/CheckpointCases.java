package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.checkpoint.ShardFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The small runs behind the checkpoint tests: a configuration per case (stage, 16-bit format, offload, DL4J updaters
 * or DeepSpeed's Adam), its network, its data, and a run that records the loss-scale trajectory.
 */
final class CheckpointCases {

    static final int BATCH = 12; // splits over 1, 2, 3 and 4 ranks
    static final long DATA_SEED = 77;

    /**
     * @param stage     zero_optimization.stage
     * @param precision fp32, fp16 or bf16
     * @param offload   none, cpu or nvme (needs dsAdam)
     * @param dsAdam    a DeepSpeed Adam section instead of the network's own DL4J updaters
     * @param world     ranks
     */
    record Case(int stage, String precision, String offload, boolean dsAdam, int world) {
        String json(Path nvme) {
            String off = switch (offload) {
                case "none" -> "";
                case "cpu" -> ", \"offload_optimizer\": {\"device\": \"cpu\"}";
                default -> ", \"offload_optimizer\": {\"device\": \"nvme\", \"nvme_path\": \""
                        + nvme.toString().replace("\\", "\\\\") + "\"}";
            };
            String prec = switch (precision) {
                case "fp16" -> ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 17, \"loss_scale_window\":"
                        + " 2, \"hysteresis\": 2}";
                case "bf16" -> ", \"bf16\": {\"enabled\": true}";
                default -> "";
            };
            String opt = dsAdam ? ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.02}}" : "";
            return String.format(Locale.ROOT, "{\"train_batch_size\": %d, \"gradient_clipping\": 1.0,"
                    + " \"zero_optimization\": {\"stage\": %d, \"sub_group_size\": 50%s}%s%s}", BATCH, stage, off,
                    prec, opt);
        }

        MultiLayerNetwork net(long seed) {
            // DL4J updaters: Adam, Nesterovs and RmsProp blocks with l2, weight decay and per-layer clipping
            return dsAdam ? TestNets.sgdMln(seed, new Adam(1e-2)) : TestNets.denseMln(seed);
        }

        ZeroTrainer trainer(MultiLayerNetwork net, Path nvme) {
            try {
                Files.createDirectories(nvme);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json(nvme))).worldSize(world).build();
        }

        @Override
        public String toString() {
            return "stage " + stage + " " + precision + " " + offload + (dsAdam ? " DS-Adam" : " DL4J-updaters")
                    + " x" + world;
        }
    }

    /** Records the loss scale and the skip flag after every step, and can save a checkpoint after step {@code at}. */
    static final class Recorder extends BaseTrainingListener {
        final List<String> trajectory = new ArrayList<>();
        private final ZeroTrainer trainer;
        private final int saveAfter;
        private final Path dir;

        Recorder(ZeroTrainer trainer, int saveAfter, Path dir) {
            this.trainer = trainer;
            this.saveAfter = saveAfter;
            this.dir = dir;
        }

        @Override
        public void iterationDone(org.deeplearning4j.nn.api.Model model, int iteration, int epoch) {
            trajectory.add(trainer.lossScale().value() + (trainer.lastStepSkipped() ? " skipped" : " applied"));
            if (trajectory.size() == saveAfter) {
                trainer.saveCheckpoint(dir, "mid");
            }
        }
    }

    private CheckpointCases() {
    }

    static List<DataSet> data(int batches) {
        return TestNets.denseData(batches, BATCH, DATA_SEED);
    }

    static ExistingDataSetIterator iterator(int batches) {
        return new ExistingDataSetIterator(data(batches));
    }

    /** @return every section of every file of a tag folder, name by name, as raw float bits (bit-exact compare) */
    static List<String> contents(Path folder) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.sorted().toList()) {
                for (ShardFile.Section s : ShardFile.read(f).sections()) {
                    StringBuilder b = new StringBuilder(f.getFileName() + "/" + s.name() + ":");
                    for (float v : s.values()) {
                        b.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ');
                    }
                    out.add(b.toString());
                }
            }
        }
        return out;
    }
}
