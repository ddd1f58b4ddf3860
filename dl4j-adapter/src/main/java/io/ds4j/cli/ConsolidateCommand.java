package io.ds4j.cli;

import io.ds4j.dl4j.checkpoint.Consolidation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code ds4j consolidate D [--tag T] --out MODEL.zip [--with-updater]}: like DeepSpeed's {@code zero_to_fp32.py},
 * folds a checkpoint's per-rank fp32 master pieces into one DL4J ModelSerializer zip that plain DL4J loads
 * ({@code ModelSerializer.restoreMultiLayerNetwork} / {@code restoreComputationGraph}). A damaged or incomplete
 * checkpoint: exit 2 and {@code error: <file>: <what is wrong>}.
 */
public final class ConsolidateCommand implements Command {

    @Override
    public String name() {
        return "consolidate";
    }

    @Override
    public String summary() {
        return "fold a checkpoint's fp32 master shards into one DL4J ModelSerializer zip (like zero_to_fp32.py)";
    }

    @Override
    public String usage() {
        return "usage: ds4j consolidate DIR [--tag TAG] --out MODEL.zip [--with-updater]\n"
                + "  DIR             a checkpoint directory (saveCheckpoint, ds4j train --save-dir)\n"
                + "  --tag TAG       the tag to consolidate (default: the one DIR/latest names)\n"
                + "  --out FILE      the DL4J ModelSerializer zip to write\n"
                + "  --with-updater  also write the DL4J updater state (checkpoints of the network's own updaters)\n"
                + "exit codes: 0 written, 2 bad arguments or a damaged checkpoint, 1 the zip cannot be written";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        String dir = null;
        String tag = null;
        String zip = null;
        boolean updater = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--tag" -> tag = value(args, ++i, a);
                case "--out" -> zip = value(args, ++i, a);
                case "--with-updater" -> updater = true;
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option '" + a + "'");
                    }
                    if (dir != null) {
                        throw new UsageException("one checkpoint DIR expected, got '" + dir + "' and '" + a + "'");
                    }
                    dir = a;
                }
            }
        }
        if (dir == null || zip == null) {
            throw new UsageException(dir == null ? "missing the checkpoint DIR" : "missing --out MODEL.zip");
        }
        try {
            Consolidation.Result r = Consolidation.consolidate(Path.of(dir), Optional.ofNullable(tag), updater);
            Consolidation.write(r, Path.of(zip), updater);
            out.println("wrote " + zip + ": " + r.describe() + ", from " + r.folder()
                    + (updater ? ", with the DL4J updater state" : ""));
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("error: cannot write " + zip + ": " + e.getMessage());
            return 1;
        }
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }
}
