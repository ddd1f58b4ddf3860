package io.ds4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.OptimizerSection;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.ledger.ModelStateBytes;
import io.ds4j.zero.ledger.TrainingPrecision;
import io.ds4j.zero.ledger.ZeroFormulas;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code ds4j estimate (--params N | --model FILE.zip) [--world-size N] CONFIG.json}: the model-state bytes one rank
 * holds at ZeRO stages 0 to 3 for the configuration's precision and optimizer, with the ZeRO formula behind each row
 * (ZeRO paper section 3; K = 12 for mixed-precision Adam). Offloaded optimizer state is reported on its tier.
 */
final class EstimateCommand implements Command {
    @Override
    public String name() {
        return "estimate";
    }

    @Override
    public String summary() {
        return "per-rank model-state bytes for ZeRO stages 0-3 and the formulas behind them";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j estimate (--params N | --model FILE.zip) [--world-size N] [--optimizer TYPE] CONFIG.json",
                "  --params N       number of parameters (Ψ); 1e6-style and 12_000_000 are accepted",
                "  --model FILE     a DL4J ModelSerializer zip (MultiLayerNetwork or ComputationGraph): Ψ from it",
                "  --world-size N   data-parallel ranks (default 1)",
                "  --optimizer T    optimizer type when the config has none (default: the model's updater with",
                "                   --model, else Adam)");
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Args a = Args.parse(args);
        DeepSpeedConfig config;
        try {
            config = DeepSpeedConfig.load(a.config);
        } catch (DeepSpeedConfigException e) {
            err.println("error: " + (e.path().isEmpty() ? "" : e.path() + ": ") + e.getMessage());
            return 2;
        }
        long psi;
        Optimizer optimizer;
        try {
            Model model = a.model == null ? null : loadModel(a.model);
            psi = model == null ? a.params : model.numParams();
            optimizer = optimizer(config, a.optimizer, model);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        print(out, config, psi, a.worldSize, optimizer);
        return 0;
    }

    /** An optimizer's name for the report and its fp32 state words per parameter. */
    private record Optimizer(String name, int words) {
    }

    private static void print(PrintStream out, DeepSpeedConfig config, long psi, int world, Optimizer opt) {
        boolean mixed = config.fp16().enabled() || config.bf16().enabled();
        TrainingPrecision precision = mixed ? TrainingPrecision.MIXED_16 : TrainingPrecision.FP32;
        int words = opt.words();
        String optimizer = opt.name();
        int k = ZeroFormulas.k(precision, words);
        ZeroConfig zero = config.zero();
        out.printf(Locale.ROOT, "model-state bytes per rank: Ψ = %,d parameters, N = %d ranks, %s, optimizer %s "
                + "(%d fp32 state words, K = %d)%n", psi, world, mixed ? "mixed precision (2-byte params and "
                + "grads, fp32 master)" : "fp32", optimizer, words, k);
        out.printf(Locale.ROOT, "%-6s %-22s %14s %14s %14s %14s %14s%n", "stage", "formula", "params",
                "grads", "optimizer", "master", "total");
        for (int stage = 0; stage <= 3; stage++) {
            ModelStateBytes b = ZeroFormulas.perRank(stage, precision, words, psi, world);
            out.printf(Locale.ROOT, "%-6s %-22s %14s %14s %14s %14s %14s%n",
                    stage + (stage == zero.stage() ? "*" : ""), ZeroFormulas.formula(stage, precision, words),
                    human(b.parameters()), human(b.gradients()), human(b.optimizerState()),
                    human(b.masterWeights()), human(b.total()));
        }
        out.println("* the configured stage (zero_optimization.stage = " + zero.stage() + ")");
        if (zero.offloadsOptimizer()) {
            out.println("offload_optimizer.device = " + zero.offloadOptimizer().device().name().toLowerCase(Locale.ROOT)
                    + ": the optimizer and master columns live on that tier instead of the device");
        }
        if (zero.offloadsParams()) {
            out.println("offload_param.device = " + zero.offloadParam().device().name().toLowerCase(Locale.ROOT)
                    + ": the stage-3 parameter shard lives on that tier between uses");
        }
    }

    private static boolean sgdMomentum(DeepSpeedConfig config) {
        Object m = config.optimizer().map(o -> o.params().get("momentum")).orElse(null);
        return m instanceof Number n && n.doubleValue() != 0;
    }

    private static Optimizer optimizer(DeepSpeedConfig config, String override, Model model) {
        String type = override != null ? override : config.optimizer().map(OptimizerSection::type).orElse(null);
        if (type != null) {
            boolean momentum = !"sgd".equalsIgnoreCase(type) || sgdMomentum(config);
            return new Optimizer(type, ZeroFormulas.stateWords(type, momentum));
        }
        return model == null ? new Optimizer("Adam (no optimizer section; assumed)", ZeroFormulas.stateWords("Adam",
                true)) : updater(model);
    }

    /** The network's own updater (DeepSpeed's "client optimizer") and its state words per parameter. */
    private static Optimizer updater(Model model) {
        org.deeplearning4j.nn.api.Layer[] layers = model instanceof MultiLayerNetwork m ? m.getLayers()
                : ((ComputationGraph) model).getLayers();
        for (org.deeplearning4j.nn.api.Layer layer : layers) {
            if (layer.numParams() > 0 && layer.conf().getLayer() instanceof BaseLayer base
                    && base.getIUpdater() != null) {
                return new Optimizer("the network's " + base.getIUpdater().getClass().getSimpleName(),
                        (int) base.getIUpdater().stateSize(1));
            }
        }
        return new Optimizer("none (no trainable layer)", 0);
    }

    private static Model loadModel(Path file) {
        return ModelFiles.load(file, "--model");
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** The parsed command line. */
    private record Args(long params, Path model, int worldSize, String optimizer, Path config) {
        static Args parse(List<String> args) {
            long params = -1;
            Path model = null;
            int world = 1;
            String optimizer = null;
            List<String> positional = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--params" -> params = parseCount("--params", value(args, ++i, a));
                    case "--model" -> model = Path.of(value(args, ++i, a));
                    case "--world-size" -> world = (int) parseCount("--world-size", value(args, ++i, a));
                    case "--optimizer" -> optimizer = value(args, ++i, a);
                    default -> {
                        if (a.startsWith("--")) {
                            throw new UsageException("unknown option " + a);
                        }
                        positional.add(a);
                    }
                }
            }
            if (positional.size() != 1) {
                throw new UsageException("expected exactly one CONFIG.json, got " + positional);
            }
            if ((params < 0) == (model == null)) {
                throw new UsageException("give exactly one of --params N or --model FILE.zip");
            }
            if (world < 1) {
                throw new UsageException("--world-size must be >= 1, got " + world);
            }
            return new Args(params, model, world, optimizer, Path.of(positional.get(0)));
        }

        private static String value(List<String> args, int i, String option) {
            if (i >= args.size()) {
                throw new UsageException(option + " needs a value");
            }
            return args.get(i);
        }

        private static long parseCount(String option, String text) {
            try {
                double d = Double.parseDouble(text.replace("_", ""));
                if (d < 0 || d != Math.rint(d) || d > Long.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                return (long) d;
            } catch (NumberFormatException e) {
                throw new UsageException(option + " must be a whole number >= 0, got '" + text + "'");
            }
        }
    }
}
