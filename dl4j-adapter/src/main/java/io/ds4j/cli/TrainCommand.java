package io.ds4j.cli;

import io.ds4j.cli.train.Saving;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.cli.train.TrainSummary;
import io.ds4j.config.DeepSpeedConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ds4j train [--world-size N] [--steps K] [--out MODEL.zip] [--model digits|wide] [CONFIG.json]}: trains the
 * OptDigits MLP (or the 5.2M-parameter {@code wide} one) with a
 * DeepSpeed configuration (default: the embedded copy of {@code examples/configs/default.json}), shows progress on
 * stderr, prints the summary on stdout and saves a DL4J ModelSerializer zip.
 */
final class TrainCommand implements Command {
    /** Steps when {@code --steps} is not given: about 18 passes over the training split at batch 64. */
    static final int DEFAULT_STEPS = 400;

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a real model (OptDigits MLP) with a DeepSpeed config; progress, summary, model zip";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j train [--world-size N] [--steps K] [--out MODEL.zip] [--model NAME]",
                "                  [--save-dir D [--save-every K] [--resume]] [CONFIG.json]",
                "  CONFIG.json      DeepSpeed configuration (default: examples/configs/default.json, embedded)",
                "  --world-size N   data-parallel ranks, one thread each (default 2)",
                "  --steps K        optimizer steps (default " + DEFAULT_STEPS + ")",
                "  --out FILE       where to save the trained network (default ds4j-model.zip)",
                "  --model NAME     digits (the 50k-parameter MLP, default) or wide (5.2M parameters, 10 layers)",
                "  --save-dir D     save a checkpoint of the last step in D/global_step<N> (D/latest names it)",
                "  --save-every K   also save every K steps",
                "  --resume         load D/latest first and train the remaining steps (from 0 when D has none)",
                "Under a launcher (ds4j launch, torchrun, mpirun, srun) each process runs one rank over UCX; the",
                "launcher's WORLD_SIZE replaces --world-size and rank 0 prints the summary and writes the model.",
                "The config's optimizer and scheduler become the network's DL4J updater; the other sections go to",
                "the ZeRO engine (fp16, bf16, offload included), which refuses by key what it cannot do yet.");
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        TrainJob.Request request = parse(args);
        try {
            TrainSummary summary = TrainJob.run(request, err, System.console() != null && err == System.err);
            if (io.ds4j.zero.dist.Distributed.fromEnvironment().rank() == 0) { // under a launcher: rank 0 reports
                out.println(summary.format());
            }
            return 0;
        } catch (DeepSpeedConfigException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("error: cannot write " + request.out() + ": " + e.getMessage());
            return 1;
        } catch (io.ds4j.zero.comm.Ranks.RankFailedException e) {
            io.ds4j.zero.comm.CollectiveAbortedException lost = lostPeer(e);
            if (lost == null) {
                throw e; // a rank's own failure: its stack trace is what the user needs
            }
            // another rank failed or went silent: where this rank was is noise, which rank and why is the message
            err.println("error: " + lost.getMessage()
                    + (lost.getCause() instanceof java.util.concurrent.TimeoutException
                    ? " (a rank that stops answering is named when the collective timeout passes:"
                    + " DS4J_COLLECTIVE_TIMEOUT_S seconds or DEEPSPEED_TIMEOUT minutes, default 10 minutes)" : ""));
            return 1;
        }
    }

    /** The abort that names another rank as the failed one, in {@code e}'s causes, or null. */
    private static io.ds4j.zero.comm.CollectiveAbortedException lostPeer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.ds4j.zero.comm.CollectiveAbortedException a && a.failingRank() != a.observerRank()) {
                return a;
            }
        }
        return null;
    }

    private static TrainJob.Request parse(List<String> args) {
        int worldSize = 2;
        int steps = DEFAULT_STEPS;
        Path out = Path.of("ds4j-model.zip");
        Path config = null;
        String model = "digits";
        Path saveDir = null;
        int saveEvery = 0;
        boolean resume = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--world-size" -> worldSize = positive(a, value(args, ++i, a));
                case "--steps" -> steps = positive(a, value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--model" -> model = model(value(args, ++i, a));
                case "--save-dir" -> saveDir = Path.of(value(args, ++i, a));
                case "--save-every" -> saveEvery = positive(a, value(args, ++i, a));
                case "--resume" -> resume = true;
                default -> {
                    if (a.startsWith("-") || config != null) {
                        throw new UsageException("unexpected argument '" + a + "'");
                    }
                    config = Path.of(a);
                }
            }
        }
        Saving saving;
        try {
            saving = new Saving(saveDir, saveEvery, resume);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return config == null
                ? new TrainJob.Request(TrainJob.defaultConfig(), "examples/configs/default.json (embedded)",
                        worldSize, steps, out, model, saving)
                : new TrainJob.Request(read(config), config.toString(), worldSize, steps, out, model, saving);
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    private static String model(String v) {
        if (!"digits".equals(v) && !"wide".equals(v)) {
            throw new UsageException("--model: '" + v + "' is not a model; use digits or wide");
        }
        return v;
    }

    private static int positive(String flag, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(flag + ": '" + v + "' is not allowed; use an integer >= 1");
    }

    private static String read(Path config) {
        try {
            return Files.readString(config, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read " + config + ": " + e.getMessage() + "; check the path");
        }
    }
}
