package io.ds4j.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.ds4j.zero.bench.OptimizerBench;

/**
 * {@code ds4j bench <what> [options]}: measurements on this machine. {@code optimizer} runs the fused optimizer kernels
 * against ND4J's Adam step and the machine's memory bandwidth ({@link OptimizerBench}); {@code train}, {@code memory}
 * and {@code capacity} live in {@code io.ds4j.cli.bench}; every subcommand registers in {@link #subcommands()}.
 */
final class BenchCommand implements Command {
    /** One {@code bench} subcommand. */
    private interface Sub {
        int run(List<String> args, PrintStream out, PrintStream err);
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "measure optimizer kernels, training speed, memory per ZeRO setup, the largest trainable model,"
                + " checkpoints and collectives";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j bench optimizer [--elements N] [--threads T] [--repeats R] [--warmup W]",
                "  optimizer       fused Adam/SGD/Adagrad/Lion/Lamb steps vs ND4J's Adam step (assign + applyUpdater",
                "                  + subi), in elements/s and GB/s, and the copy/triad/read-modify-write bandwidth",
                "  --elements N    fp32 elements per step (default 50M; 1e6-style, 50M and 50_000_000 are accepted)",
                "  --threads T     kernel threads (default: available processors)",
                "  --repeats R     timed repetitions, the best is reported (default 5)",
                "  --warmup W      untimed repetitions first (default 2)",
                "  needs about 40 bytes of Java heap and 24 bytes of off-heap memory per element",
                io.ds4j.cli.bench.TrainBench.USAGE, io.ds4j.cli.bench.MemoryBench.USAGE,
                io.ds4j.cli.bench.ProcessMemoryBench.USAGE, io.ds4j.cli.bench.CapacityBench.USAGE,
                io.ds4j.cli.bench.CheckpointBench.USAGE, io.ds4j.cli.bench.CommBench.USAGE);
    }

    private Map<String, Sub> subcommands() {
        Map<String, Sub> subs = new LinkedHashMap<>();
        subs.put("optimizer", this::optimizer);
        subs.put("train", io.ds4j.cli.bench.TrainBench::run);
        subs.put("memory", io.ds4j.cli.bench.MemoryBench::run);
        subs.put("capacity", io.ds4j.cli.bench.CapacityBench::run);
        subs.put("checkpoint", io.ds4j.cli.bench.CheckpointBench::run);
        subs.put("comm", io.ds4j.cli.bench.CommBench::run);
        return subs;
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Map<String, Sub> subs = subcommands();
        if (args.isEmpty()) {
            throw new UsageException("bench needs a subcommand: one of " + subs.keySet());
        }
        Sub sub = subs.get(args.get(0));
        if (sub == null) {
            throw new UsageException("unknown bench subcommand '" + args.get(0) + "'; available: " + subs.keySet());
        }
        return sub.run(args.subList(1, args.size()), out, err);
    }

    private int optimizer(List<String> args, PrintStream out, PrintStream err) {
        long elements = 50_000_000L;
        int threads = Runtime.getRuntime().availableProcessors();
        int repeats = 5;
        int warmup = 2;
        for (int i = 0; i < args.size(); i++) {
            String key = args.get(i);
            if (i + 1 >= args.size()) {
                throw new UsageException(key + " needs a value");
            }
            String value = args.get(++i);
            switch (key) {
                case "--elements" -> elements = count(key, value, 1, Integer.MAX_VALUE - 8);
                case "--threads" -> threads = (int) count(key, value, 1, 4096);
                case "--repeats" -> repeats = (int) count(key, value, 1, 1000);
                case "--warmup" -> warmup = (int) count(key, value, 0, 1000);
                default -> throw new UsageException("unknown option '" + key + "' for bench optimizer");
            }
        }
        try {
            OptimizerBench.run((int) elements, threads, warmup, repeats).lines().forEach(out::println);
            return 0;
        } catch (OutOfMemoryError e) {
            err.printf(Locale.ROOT, "error: out of memory for %,d elements (%s); the bench needs about %.1f GB of heap"
                    + " (4 float arrays) and %.1f GB off-heap: raise -Xmx in JAVA_OPTS or pass a smaller --elements%n",
                    elements, e.getMessage(), elements * 16 / 1e9 * 2, elements * 24 / 1e9);
            return 1;
        }
    }

    /** Parses 50000000, 50_000_000, 5e7, 50M or 50k, within [min, max], naming the option when it is bad. */
    static long count(String key, String value, long min, long max) {
        return WholeNumbers.parse(key, value, min, max);
    }
}
