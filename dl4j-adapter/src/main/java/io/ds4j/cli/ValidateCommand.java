package io.ds4j.cli;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ds4j validate [--world-size N] CONFIG.json}: judges a DeepSpeed configuration as DeepSpeed would (with
 * ds4j's documented differences). Valid: exit 0, the resolved configuration as JSON on stdout (laid out like a
 * DeepSpeed config, every default filled in, the batch triad resolved for N ranks, {@code "auto"} kept), one
 * {@code warning: <path>: <message>} line per warning on stderr. Invalid or malformed: exit 2 and one
 * {@code error: <json.path>: <message>} line on stderr ({@code $} is the document itself).
 */
public final class ValidateCommand implements Command {

    @Override
    public String name() {
        return "validate";
    }

    @Override
    public String summary() {
        return "check a DeepSpeed JSON config and print it resolved (batch triad, defaults)";
    }

    @Override
    public String usage() {
        return "usage: ds4j validate [--world-size N] CONFIG.json\n"
                + "  --world-size N  number of data-parallel ranks the batch triad is resolved for (default 1)\n"
                + "exit codes: 0 valid (resolved config on stdout, warnings on stderr), 2 invalid or malformed";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        int worldSize = 1;
        String file = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--world-size") || a.startsWith("--world-size=")) {
                String v = a.contains("=") ? a.substring(a.indexOf('=') + 1)
                        : (i + 1 < args.size() ? args.get(++i) : null);
                worldSize = worldSize(v);
            } else if (a.startsWith("-")) {
                throw new UsageException("unknown option '" + a + "'");
            } else if (file != null) {
                throw new UsageException("one CONFIG.json expected, got '" + file + "' and '" + a + "'");
            } else {
                file = a;
            }
        }
        if (file == null) {
            throw new UsageException("missing CONFIG.json");
        }
        try {
            DeepSpeedConfig config = DeepSpeedConfig.load(Path.of(file));
            String json = config.toJson(worldSize);
            config.warnings().forEach(w -> err.println("warning: " + w));
            out.println(json);
            return 0;
        } catch (DeepSpeedConfigException e) {
            String path = e.path().isEmpty() ? "$" : e.path();
            err.println("error: " + path + ": " + e.detail());
            return 2;
        }
    }

    private static int worldSize(String v) {
        try {
            int n = Integer.parseInt(v == null ? "" : v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--world-size needs a whole number >= 1, got '" + v + "'");
    }
}
