package io.ds4j.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Entry point of the {@code ds4j} command line ({@code bin/ds4j}). Dispatches to one {@link Command} by name.
 */
public final class Main {
    private final List<Command> commands;

    /** @param commands the subcommands, in the order {@code help} lists them */
    public Main(List<Command> commands) {
        this.commands = List.copyOf(commands);
    }

    /** The standard set of subcommands. */
    public static Main standard() {
        List<Command> list = new ArrayList<>();
        list.add(new ValidateCommand());
        list.add(new ReportCommand());
        list.add(new LrCommand());
        list.add(new EstimateCommand());
        list.add(new TrainCommand());
        list.add(new BenchCommand());
        list.add(new SweepCommand());
        list.add(new ReferenceCommand());
        list.add(new DocsCommand());
        list.add(new ConsolidateCommand());
        list.add(new LaunchCommand());
        return new Main(list);
    }

    /** Runs {@code ds4j} and exits the JVM with the command's exit code. */
    public static void main(String[] args) {
        int code = standard().run(Arrays.asList(args), System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs one invocation; returns the exit code instead of exiting (used by tests). */
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.get(0).equals("help") || args.get(0).equals("--help") || args.get(0).equals("-h")) {
            return help(args.size() > 1 ? args.get(1) : null, out, err);
        }
        Optional<Command> cmd = find(args.get(0));
        if (cmd.isEmpty()) {
            err.println("error: unknown command '" + args.get(0) + "'; run 'ds4j help' for the list");
            return 2;
        }
        List<String> rest = args.subList(1, args.size());
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(cmd.get().usage());
            return 0;
        }
        try {
            return cmd.get().run(rest, out, err);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(cmd.get().usage());
            return 2;
        }
    }

    private Optional<Command> find(String name) {
        return commands.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private int help(String topic, PrintStream out, PrintStream err) {
        if (topic != null) {
            Optional<Command> cmd = find(topic);
            if (cmd.isEmpty()) {
                err.println("error: unknown command '" + topic + "'; run 'ds4j help' for the list");
                return 2;
            }
            out.println(cmd.get().usage());
            return 0;
        }
        out.println("ds4j: DeepSpeed-grade training for Deeplearning4j / ND4J");
        out.println();
        out.println("usage: ds4j <command> [options]");
        out.println();
        out.println("commands:");
        for (Command c : commands) {
            out.printf("  %-10s %s%n", c.name(), c.summary());
        }
        out.printf("  %-10s %s%n", "help", "this list; 'ds4j help <command>' for one command's usage");
        return 0;
    }
}
