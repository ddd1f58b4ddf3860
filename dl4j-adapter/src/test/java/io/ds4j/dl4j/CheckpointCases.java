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
            return CheckpointCases.trainer(net, json(nvme), world, nvme);
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

    /**
     * The straight half of an exact-resume test: {@code 2 k} batches, saving tag {@code mid} of {@code ck} after step
     * {@code k} from a listener (mid-epoch) and tag {@code end} of {@code ref} at the end.
     *
     * @return the loss-scale trajectory of all {@code 2 k} steps
     */
    static List<String> straight(ZeroTrainer t, MultiLayerNetwork net, Path ck, int k, Path ref) {
        Recorder rec = new Recorder(t, k, ck);
        net.addListeners(rec);
        t.fit(iterator(2 * k));
        t.saveCheckpoint(ref, "end");
        return rec.trajectory;
    }

    /**
     * The resumed half of an exact-resume test: loads tag {@code mid} of {@code ck}, trains {@code 2 k} batches of
     * the same iterator (the resumed fit skips the first {@code k}), saves tag {@code end} under {@code out}.
     *
     * @return the loss-scale trajectory after the load
     */
    static List<String> resume(ZeroTrainer t, MultiLayerNetwork net, Path ck, int k, Path out) {
        t.loadCheckpoint(ck, "mid");
        org.junit.jupiter.api.Assertions.assertEquals(k, net.getIterationCount() + t.skippedSteps(),
                "steps taken before the save");
        Recorder rec = new Recorder(t, -1, ck);
        net.addListeners(rec);
        t.fit(iterator(2 * k));
        t.saveCheckpoint(out, "end");
        return rec.trajectory;
    }

    /**
     * Asserts what an exact resume keeps: the loss-scale trajectory of steps k+1..2k, every rank file's master and
     * optimizer state bit for bit, steps applied on both sides of the save, and (fp16) an overflow on the way.
     */
    static void assertExactResume(List<String> full, List<String> tail, int k, Path refEnd, Path outEnd,
                                  String precision) throws java.io.IOException {
        org.junit.jupiter.api.Assertions.assertEquals(full.subList(k, 2 * k), tail,
                "loss-scale trajectory of steps K+1..2K");
        org.junit.jupiter.api.Assertions.assertEquals(contents(refEnd), contents(outEnd),
                "master and optimizer state of every rank");
        org.junit.jupiter.api.Assertions.assertTrue(full.subList(0, k).stream().anyMatch(s -> s.endsWith("applied"))
                && tail.stream().anyMatch(s -> s.endsWith("applied")), "steps applied before and after the save: "
                + full);
        if (precision.equals("fp16")) {
            org.junit.jupiter.api.Assertions.assertTrue(full.stream().anyMatch(s -> s.endsWith("skipped")),
                    "the fp16 runs overflow: " + full);
        }
    }

    /** @return a trainer on {@code net} from the DeepSpeed JSON {@code json}, once {@code nvme} exists */
    static ZeroTrainer trainer(org.deeplearning4j.nn.api.Model net, String json, int world, Path nvme) {
        try {
            Files.createDirectories(nvme);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(world).build();
    }

    /**
     * Asserts the engine's fp32 parity bound, {@code 1e-6 + 1e-5 |a|} per element (as {@code ZeroTrainerParityTest}:
     * only the summation order over ranks differs).
     *
     * @return the largest difference
     */
    static float assertWithinParity(float[] a, float[] b) {
        org.junit.jupiter.api.Assertions.assertEquals(a.length, b.length, "lengths");
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            org.junit.jupiter.api.Assertions.assertTrue(d <= 1e-6 + 1e-5 * Math.abs(a[i]),
                    "element " + i + ": " + a[i] + " vs " + b[i]);
            worst = Math.max(worst, d);
        }
        return worst;
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
