package io.ds4j.cli.bench;

import io.ds4j.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * {@code ds4j bench train [--quick] [--out DIR]}: runs every contender in this process and prints the table (see the
 * package documentation); writes CSV, text and PNG into {@code DIR} (default {@code bench-train}).
 */
public final class TrainBench {
    /** The usage lines, for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench train [--quick] [--out DIR]",
            "  train           plain DL4J fit() and ParallelWrapper (2 workers, AVERAGING), each with ND4J's",
            "                  default threads and with cores/2, and ds4j ZeroTrainer",
            "                  (2 ranks, stages 0/1/2 x fp32/fp16/bf16 x the network's DL4J Adam / DeepSpeed's Adam,",
            "                  cpu-offloaded at stages 1 and 2) on the OptDigits MLP: samples/s, ratios, peak ledger,",
            "                  final loss; CSV + PNG in DIR (memory per setup: ds4j bench memory)",
            "  --quick         a smoke test (5 rounds of 1+2 steps) instead of 7 rounds of 20 warm-up + 100 steps",
            "  --out DIR       where bench-train.csv/.txt/.png go (default bench-train)");

    /** Rounds always run, whatever the time. */
    static final int MIN_ROUNDS = 5;
    /** No round starts after this much time (beyond {@link #MIN_ROUNDS}), so the bench ends within 15 minutes. */
    static final long BUDGET_NANOS = 11L * 60_000_000_000L;

    private TrainBench() {
    }

    /**
     * @param args the arguments after {@code bench train}
     * @param out the table
     * @param err progress
     * @return the exit code
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        boolean quick = false;
        Path dir = Path.of("bench-train");
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--quick" -> quick = true;
                case "--out" -> {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("--out needs a folder");
                    }
                    dir = Path.of(args.get(++i));
                }
                default -> throw new UsageException("unknown option '" + args.get(i) + "' for bench train");
            }
        }
        BenchPlan plan = quick ? BenchPlan.quick(dir) : BenchPlan.full(dir);
        try {
            BenchReport report = run(plan, err);
            out.print(report.table());
            for (Path p : report.write(plan.outDir())) {
                err.println("wrote " + p);
            }
            return 0;
        } catch (IOException e) {
            err.println("error: cannot write the results into " + dir + ": " + e.getMessage());
            return 1;
        }
    }

    /** @return every contender, in run order */
    public static List<Contender> contenders() {
        int half = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        List<Contender> all = new ArrayList<>(List.of(new Contender.PlainFit(0), new Contender.PlainFit(half),
                new Contender.Wrapper(0), new Contender.Wrapper(half)));
        for (int stage = 0; stage <= 2; stage++) {
            for (String precision : List.of("fp32", "fp16", "bf16")) {
                all.add(new Contender.Zero(stage, precision, false, false));
                // DeepSpeed offloads only a ZeRO optimizer's state (stage >= 1): stage 0 runs DS-Adam unoffloaded
                all.add(new Contender.Zero(stage, precision, stage > 0, true));
            }
        }
        all.add(new Contender.Zero(2, "fp32", false, true));
        return all;
    }

    /**
     * Runs every contender with one plan, round by round (see {@link BenchPlan}).
     *
     * @param plan the plan
     * @param err where progress goes
     * @return the report
     */
    public static BenchReport run(BenchPlan plan, PrintStream err) {
        return run(plan, contenders(), err);
    }

    /**
     * Runs some contenders with one plan, round by round (see {@link BenchPlan}).
     *
     * @param plan the plan
     * @param contenders the contenders, in run order
     * @param err where progress goes
     * @return the report
     */
    public static BenchReport run(BenchPlan plan, List<Contender> contenders, PrintStream err) {
        BenchData data = BenchData.of(plan);
        Map<String, Outcome> merged = new LinkedHashMap<>();
        long start = System.nanoTime();
        for (int round = 1; round <= plan.windows(); round++) {
            if (round > MIN_ROUNDS && System.nanoTime() - start > BUDGET_NANOS) {
                err.println("bench train: stopping after " + (round - 1) + " rounds: the time budget of "
                        + BUDGET_NANOS / 60_000_000_000L + " minutes is spent (is the machine busy?)");
                break;
            }
            for (Contender c : contenders) {
                Outcome before = merged.get(c.name());
                if (before instanceof Outcome.Unsupported) {
                    continue;
                }
                Outcome o = runOne(c, data);
                merged.put(c.name(), before == null || o instanceof Outcome.Unsupported ? o
                        : ((Outcome.Measured) before).then((Outcome.Measured) o));
                if (o instanceof Outcome.Measured m) {
                    err.println(String.format(Locale.ROOT, "bench train: round %d/%d %-38s %.0f samples/s", round,
                            plan.windows(), c.name(), m.samplesPerSecond()));
                }
            }
        }
        return new BenchReport(machine(), new ArrayList<>(merged.values()));
    }

    private static Outcome runOne(Contender c, BenchData data) {
        try {
            return c.run(data);
        } catch (Exception e) {
            return new Outcome.Unsupported(c.name(), "failed: " + e);
        }
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // keep "unknown CPU"
        }
        return String.format(Locale.ROOT, "%s, %d cores visible to the JVM, %s %s, Java %s, ND4J CPU backend", cpu,
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"));
    }
}
