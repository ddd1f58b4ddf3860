package io.ds4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.OptimizerSection;
import io.ds4j.config.SchedulerSection;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.ScheduleConfigException;
import io.ds4j.schedules.Schedules;

/**
 * {@code ds4j lr [--steps LIST] [--optimizer-lr X] [--plot FILE.png] CONFIG.json}: the learning rate (and
 * {@code OneCycle}'s momentum) of the config's {@code scheduler} at DeepSpeed iterations, as CSV.
 *
 * <p>The output is stable for scripts: a header {@code step,lr} (plus {@code ,momentum} for {@code OneCycle} with
 * {@code cycle_momentum}), then one row per requested step with values printed by {@link Double#toString}. Steps are
 * DeepSpeed iteration numbers ({@code -1} is the value before the first step; update k uses step k - 2). The
 * optimizer's lr (inherited by {@code WarmupLR}, scaled by {@code WarmupCosineLR}) comes from
 * {@code optimizer.params.lr}, or from {@code --optimizer-lr} when the config has no optimizer lr or says
 * {@code "auto"}. An invalid schedule exits with 2 and {@code error: scheduler.params.<key>: ...}.
 */
final class LrCommand implements Command {
    /** Steps printed when {@code --steps} is not given. */
    static final String DEFAULT_STEPS = "-1..100";
    /** The most steps one invocation prints, so that a typo like {@code 0..1e9} fails fast. */
    static final long MAX_STEPS = 10_000_000;
    /** Optimizers DeepSpeed's OneCycle cannot cycle the momentum of: they have no {@code betas}. */
    private static final Set<String> NO_BETAS = Set.of("sgd", "adagrad");

    @Override
    public String name() {
        return "lr";
    }

    @Override
    public String summary() {
        return "the scheduler's learning rate (and momentum) per DeepSpeed step, as CSV or a PNG plot";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j lr [--steps LIST] [--optimizer-lr X] [--plot FILE.png] CONFIG.json",
                "  --steps LIST      comma-separated DeepSpeed steps and ranges A..B (inclusive), -1 allowed;",
                "                    default " + DEFAULT_STEPS + ". Update k (k = 1, 2, ...) uses step k - 2.",
                "  --optimizer-lr X  the optimizer lr when the config has none or says \"auto\"",
                "  --plot FILE.png   also write a line chart of lr (and momentum) over the steps",
                "prints CSV: step,lr[,momentum] (momentum for OneCycle with cycle_momentum)");
    }

    /** The parsed command line. */
    private record Options(List<Long> steps, Double optimizerLr, Path plot, Path config) {
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Options opt = parse(args);
        LrSchedule schedule;
        try {
            schedule = schedule(opt, err);
        } catch (DeepSpeedConfigException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (ScheduleConfigException e) {
            String path = "type".equals(e.key()) ? "scheduler.type" : "scheduler.params." + e.key();
            err.println("error: " + path + ": " + e.detail());
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        printCsv(schedule, opt.steps(), out);
        if (opt.plot() != null) {
            try {
                plot(schedule, opt.steps(), opt.plot());
            } catch (IOException | RuntimeException e) {
                err.println("error: could not write the plot to " + opt.plot() + ": " + e.getMessage());
                return 1;
            }
        }
        return 0;
    }

    private static Options parse(List<String> args) {
        String steps = DEFAULT_STEPS;
        Double optimizerLr = null;
        Path plot = null;
        Path config = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--steps" -> steps = value(args, ++i, a);
                case "--optimizer-lr" -> optimizerLr = parseLr(value(args, ++i, a));
                case "--plot" -> plot = Path.of(value(args, ++i, a));
                default -> {
                    if (a.startsWith("-") && !a.equals("-")) {
                        throw new UsageException("unknown option '" + a + "'");
                    }
                    if (config != null) {
                        throw new UsageException("one CONFIG.json expected, got '" + config + "' and '" + a + "'");
                    }
                    config = Path.of(a);
                }
            }
        }
        if (config == null) {
            throw new UsageException("missing CONFIG.json");
        }
        return new Options(parseSteps(steps), optimizerLr, plot, config);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static double parseLr(String text) {
        try {
            double v = Double.parseDouble(text);
            if (Double.isFinite(v) && v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--optimizer-lr must be a finite number >= 0, got '" + text + "'");
    }

    /**
     * Parses {@code LIST}: comma-separated integers and inclusive ranges {@code A..B}, each &ge; -1.
     *
     * @throws UsageException naming the bad element
     */
    static List<Long> parseSteps(String list) {
        List<Long> steps = new ArrayList<>();
        for (String part : list.split(",", -1)) {
            String p = part.trim();
            int dots = p.indexOf("..");
            long from = step(dots < 0 ? p : p.substring(0, dots), part);
            long to = dots < 0 ? from : step(p.substring(dots + 2), part);
            if (to < from) {
                throw new UsageException("--steps range '" + part + "' is empty; write A..B with A <= B");
            }
            if (steps.size() + (to - from + 1) > MAX_STEPS) {
                throw new UsageException("--steps asks for more than " + MAX_STEPS + " steps; narrow the ranges");
            }
            for (long s = from; s <= to; s++) {
                steps.add(s);
            }
        }
        return steps;
    }

    private static long step(String text, String part) {
        try {
            long v = Long.parseLong(text.trim());
            if (v >= -1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--steps element '" + part + "' is not an integer >= -1 or a range A..B"
                + " (e.g. -1..100,500,1000..1010)");
    }

    private static LrSchedule schedule(Options opt, PrintStream err) {
        DeepSpeedConfig config = DeepSpeedConfig.load(opt.config());
        SchedulerSection section = config.scheduler().orElseThrow(() -> new IllegalArgumentException(
                opt.config() + " has no scheduler section; add one, e.g. \"scheduler\": {\"type\": \"WarmupLR\","
                        + " \"params\": {...}}"));
        Optional<OptimizerSection> optimizer = config.optimizer();
        Object lr = optimizer.map(o -> o.params().get("lr")).orElse(null);
        double optimizerLr;
        if (lr instanceof Number n) {
            optimizerLr = n.doubleValue();
            if (opt.optimizerLr() != null && opt.optimizerLr() != optimizerLr) {
                err.println("warning: ignoring --optimizer-lr " + opt.optimizerLr() + ": the config sets"
                        + " optimizer.params.lr = " + optimizerLr);
            }
        } else {
            optimizerLr = opt.optimizerLr() != null ? opt.optimizerLr() : Double.NaN;
        }
        try {
            LrSchedule schedule = Schedules.create(section.type(), section.params(), optimizerLr);
            warnMomentum(schedule, optimizer, err);
            return schedule;
        } catch (ScheduleConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + (lr == null ? ", or pass --optimizer-lr X"
                    : "; the config says \"" + lr + "\", so pass --optimizer-lr X"), e);
        }
    }

    private static void warnMomentum(LrSchedule schedule, Optional<OptimizerSection> optimizer, PrintStream err) {
        String type = optimizer.map(o -> o.type().toLowerCase(Locale.ROOT)).orElse("");
        if (schedule.hasMomentum() && NO_BETAS.contains(type)) {
            err.println("warning: DeepSpeed turns cycle_momentum off for optimizer " + optimizer.get().type()
                    + " (it has no betas); the momentum column shows what OneCycle would set");
        }
    }

    private static void printCsv(LrSchedule schedule, List<Long> steps, PrintStream out) {
        boolean momentum = schedule.hasMomentum();
        StringBuilder sb = new StringBuilder(momentum ? "step,lr,momentum\n" : "step,lr\n");
        for (long step : steps) {
            sb.append(step).append(',').append(Double.toString(schedule.lr(step)));
            if (momentum) {
                sb.append(',').append(Double.toString(schedule.momentum(step)));
            }
            sb.append('\n');
            if (sb.length() > 1 << 16) {
                out.print(sb);
                sb.setLength(0);
            }
        }
        out.print(sb);
        out.flush();
    }

    /** Writes a PNG line chart of lr (left axis) and momentum (right axis) over the steps. */
    static void plot(LrSchedule schedule, List<Long> steps, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] x = new double[steps.size()];
        double[] lr = new double[steps.size()];
        double[] mom = new double[schedule.hasMomentum() ? steps.size() : 0];
        for (int i = 0; i < x.length; i++) {
            x[i] = steps.get(i);
            lr[i] = schedule.lr(steps.get(i));
            if (mom.length > 0) {
                mom[i] = schedule.momentum(steps.get(i));
            }
        }
        XYChart chart = new XYChartBuilder().width(1000).height(560)
                .title("ds4j lr: DeepSpeed " + schedule.type())
                .xAxisTitle("DeepSpeed step (last_batch_iteration)").yAxisTitle("learning rate").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.addSeries("lr", x, lr).setMarker(SeriesMarkers.NONE);
        if (mom.length > 0) {
            XYSeries m = chart.addSeries("momentum", x, mom);
            m.setMarker(SeriesMarkers.NONE);
            m.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "momentum (beta1)");
            chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
