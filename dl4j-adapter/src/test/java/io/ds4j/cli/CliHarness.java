package io.ds4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What every {@code ds4j} command test runs through: {@link Main#standard()} with stdout and stderr captured in
 * {@link #out} and {@link #err} (UTF-8), so that a test asserts on the exit code and on what each stream received.
 */
abstract class CliHarness {
    /** What the command wrote to stdout. */
    protected final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** What the command wrote to stderr. */
    protected final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Runs {@code ds4j args...} as the command line would; returns its exit code. */
    protected int run(String... args) {
        return Main.standard().run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
