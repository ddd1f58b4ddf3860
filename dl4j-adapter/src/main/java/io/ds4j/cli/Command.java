package io.ds4j.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * One {@code ds4j} subcommand. {@link Main} looks the command up by {@link #name()} and calls {@link #run} once with
 * the arguments after the subcommand name.
 *
 * <p>Exit codes are part of the CLI contract that scripts depend on: 0 success, 2 invalid input (bad arguments, an
 * invalid or malformed configuration), 1 an internal failure.
 */
public interface Command {
    /** The subcommand as typed, e.g. {@code validate}. */
    String name();

    /** One line for {@code ds4j help}. */
    String summary();

    /** The usage text printed by {@code ds4j help <name>} and on an argument error. */
    String usage();

    /**
     * Runs the command.
     *
     * @param args the arguments after the subcommand name
     * @param out  results (machine-readable where the command promises it)
     * @param err  warnings and errors, one {@code error: ...} line per error
     * @return the process exit code
     */
    int run(List<String> args, PrintStream out, PrintStream err);
}
