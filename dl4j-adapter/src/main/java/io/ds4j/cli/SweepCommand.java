package io.ds4j.cli;

import io.ds4j.cli.sweep.SweepFile;
import io.ds4j.cli.sweep.SweepFileReader;
import io.ds4j.cli.sweep.SweepReport;
import io.ds4j.cli.sweep.SweepResults;
import io.ds4j.cli.sweep.SweepRun;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ds4j sweep [--out DIR] SWEEP.json}: a hyperparameter search over DeepSpeed config keys (and the world size)
 * with Arbiter, each candidate trained by {@code ZeroTrainer} on the shipped OptDigits data; a progress line per
 * candidate on stderr, the ranked table on stdout, {@code results.csv}/{@code .txt}/{@code .png} and the best model
 * and its resolved config in the output folder. The file format: {@link SweepFileReader}.
 */
final class SweepCommand implements Command {
    @Override
    public String name() {
        return "sweep";
    }

    @Override
    public String summary() {
        return "hyperparameter sweep (Arbiter grid/random) over DeepSpeed config keys; table, CSV, PNG, best model";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j sweep [--out DIR] SWEEP.json",
                "  SWEEP.json  the sweep: base_config, vary (JSON paths -> ranges), model, world_size, steps,",
                "              search (grid|random), budget, score; see site/docs/cli.md#sweep",
                "  --out DIR   output folder (default: the file's \"out\", else sweep-results)",
                "writes DIR/results.csv, results.txt, results.png (score against each varied key),",
                "DIR/best-model.zip (DL4J ModelSerializer) and DIR/best-config.json (resolved)");
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Path file = null;
        Path outDir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--out")) {
                if (++i >= args.size()) {
                    throw new UsageException("--out needs a value");
                }
                outDir = Path.of(args.get(i));
            } else if (a.startsWith("-") || file != null) {
                throw new UsageException("unexpected argument '" + a + "'");
            } else {
                file = Path.of(a);
            }
        }
        if (file == null) {
            throw new UsageException("missing SWEEP.json");
        }
        SweepFile sweep;
        SweepResults results;
        try {
            sweep = SweepFileReader.read(file);
            if (outDir != null) {
                sweep = sweep.withOut(outDir);
            }
            results = SweepRun.run(sweep, err);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        String table = SweepReport.table(results);
        out.print(table);
        try {
            SweepReport.write(results, sweep, table);
        } catch (IOException | RuntimeException e) {
            err.println("error: cannot write the results to " + results.out() + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }
}
