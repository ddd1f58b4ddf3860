package io.ds4j.cli.bench;

import io.ds4j.cli.UsageException;
import io.ds4j.cli.WholeNumbers;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.ZeroTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code ds4j bench checkpoint}: the save and load time of a checkpoint of a dense network of about {@code --params}
 * parameters (default 100M) trained one step by {@code ZeroTrainer} (ZeRO-1, DL4J Adam: per parameter 4 bytes of
 * master and 8 of Adam state on disk), as bytes per second against the disk's own sequential write speed measured
 * in the same run and directory (a file of the checkpoint's size written in 4 MiB chunks and forced to disk, as the
 * checkpoint files are). The load reads the files the save just wrote, so it reads from the page cache where the
 * machine has the memory.
 */
public final class CheckpointBench {

    /** Usage lines for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench checkpoint [--params N] [--world-size W] [--dir D]",
            "  checkpoint      save and load time of a ZeroTrainer checkpoint (ZeRO-1, Adam) against the disk's",
            "                  sequential write speed measured in the same run",
            "  --params N      parameters of the dense network (default 100M)",
            "  --world-size W  ranks (default 1; each rank holds a replica of the network)",
            "  --dir D         where to write (default: a new folder under the system temp directory; removed)");

    private static final int WIDTH = 4096;

    private CheckpointBench() {
    }

    /** Runs the bench. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        long params = 100_000_000L;
        int world = 1;
        Path dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = i + 1 < args.size() ? args.get(++i) : null;
            if (v == null) {
                throw new UsageException(a + " needs a value");
            }
            switch (a) {
                case "--params" -> params = WholeNumbers.parse(a, v, 100_000, 1_000_000_000L);
                case "--world-size" -> world = (int) WholeNumbers.parse(a, v, 1, 16);
                case "--dir" -> dir = Path.of(v);
                default -> throw new UsageException("unknown option '" + a + "'");
            }
        }
        try {
            Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("ds4j-bench-ckpt");
            try {
                return measure(params, world, root, out, err);
            } finally {
                delete(root.resolve("ck"));
                Files.deleteIfExists(root.resolve("sequential.bin"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int measure(long params, int world, Path root, PrintStream out, PrintStream err)
            throws IOException {
        MultiLayerConfiguration conf = conf(params);
        String json = "{\"train_batch_size\": " + (2 * world) + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": 1}}";
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        err.printf(Locale.ROOT, "bench checkpoint: %,d parameters, %d ranks, ZeRO-1, DL4J Adam, in %s%n",
                net.numParams(), world, root);
        long bytes;
        double save;
        int saved;
        try (ZeroTrainer t = ZeroTrainer.builder(net).worldSize(world).config(DeepSpeedConfig.parse(json)).build()) {
            t.fit(new ExistingDataSetIterator(List.of(batch(2 * world))));
            long t0 = System.nanoTime();
            bytes = t.saveCheckpoint(root.resolve("ck"), "global_step1");
            save = (System.nanoTime() - t0) / 1e9;
            saved = net.params().toFloatVector().length == 0 ? 0 : java.util.Arrays.hashCode(
                    net.params().toFloatVector());
        }
        net = null; // its buffers may go before the second network is built
        System.gc();
        double disk = sequentialWrite(root.resolve("sequential.bin"), bytes);
        Files.delete(root.resolve("sequential.bin"));
        MultiLayerNetwork other = new MultiLayerNetwork(conf.clone());
        other.init();
        double load;
        try (ZeroTrainer t = ZeroTrainer.builder(other).worldSize(world).config(DeepSpeedConfig.parse(json))
                .build()) {
            long t0 = System.nanoTime();
            t.loadCheckpoint(root.resolve("ck"));
            load = (System.nanoTime() - t0) / 1e9;
        }
        boolean same = saved == java.util.Arrays.hashCode(other.params().toFloatVector());
        out.printf(Locale.ROOT, "| what | bytes | seconds | MB/s | x disk sequential write |%n"
                + "|---|---:|---:|---:|---:|%n");
        out.printf(Locale.ROOT, "| disk sequential write (4 MiB chunks, forced) | %,d | %.2f | %.0f | 1.00 |%n",
                bytes, bytes / disk, disk / 1e6, 1.0);
        out.printf(Locale.ROOT, "| save (export, write %d+1 files, fsync, renames) | %,d | %.2f | %.0f | %.2f |%n",
                world, bytes, save, bytes / 1e6 / save, (bytes / save) / disk);
        out.printf(Locale.ROOT, "| load (read, checksums, reshard, import) | %,d | %.2f | %.0f | %.2f |%n",
                bytes, load, bytes / 1e6 / load, (bytes / load) / disk);
        out.printf(Locale.ROOT, "loaded parameters equal the saved ones (hash): %s%n", same);
        return same ? 0 : 1;
    }

    /** @return bytes per second of writing {@code bytes} to {@code file} in 4 MiB chunks, forced to disk */
    static double sequentialWrite(Path file, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(4 << 20);
        for (int i = 0; i < chunk.capacity(); i++) {
            chunk.put(i, (byte) (i * 31));
        }
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long done = 0; done < bytes; ) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - done));
                while (chunk.hasRemaining()) {
                    done += ch.write(chunk);
                }
            }
            ch.force(true);
        }
        return bytes / ((System.nanoTime() - t0) / 1e9);
    }

    private static MultiLayerConfiguration conf(long params) {
        int hidden = (int) Math.max(1, Math.round((params - 74.0 * WIDTH) / ((double) WIDTH * WIDTH)) + 1);
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).weightInit(WeightInit.XAVIER).list();
        for (int i = 0; i < hidden; i++) {
            b.layer(new DenseLayer.Builder().nIn(i == 0 ? 64 : WIDTH).nOut(WIDTH).activation(Activation.TANH).build());
        }
        b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(WIDTH).nOut(10)
                .activation(Activation.SOFTMAX).build());
        return b.build();
    }

    private static DataSet batch(int n) {
        org.nd4j.linalg.api.ndarray.INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 10);
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, i % 10, 1f);
        }
        return new DataSet(Nd4j.rand(DataType.FLOAT, n, 64), labels);
    }

    private static void delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
