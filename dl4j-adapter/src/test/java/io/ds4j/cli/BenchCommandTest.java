package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@code ds4j bench optimizer} end to end on a small vector (no timing asserted), and its argument errors. */
class BenchCommandTest {
    @Test
    void optimizerPrintsBandwidthKernelsAndTheAdamRatio() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.standard().run(List.of("bench", "optimizer", "--elements", "100k", "--repeats", "1",
                "--warmup", "0", "--threads", "2"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("100,000 fp32 elements"), text);
        assertTrue(text.contains("rmw"), text);
        assertTrue(text.contains("fused Adam"), text);
        assertTrue(text.contains("ND4J Adam step (assign + applyUpdater + subi)"), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("Adam: fused \\d+\\.\\dx ND4J's Adam step .*")), text);
        assertTrue(text.contains("% of the measured read-modify-write bandwidth"), text);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Main.standard().run(List.of("bench", "nothing"), o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown bench subcommand 'nothing'"));
        assertEquals(2, Main.standard().run(List.of("bench", "optimizer", "--elements", "ten"), o, e));
        assertEquals(2, Main.standard().run(List.of("bench"), o, e));
        assertEquals(50_000_000L, BenchCommand.count("--elements", "50M", 1, Long.MAX_VALUE));
        assertEquals(50_000_000L, BenchCommand.count("--elements", "5e7", 1, Long.MAX_VALUE));
        assertEquals(50_000_000L, BenchCommand.count("--elements", "50_000_000", 1, Long.MAX_VALUE));
        UsageException u = assertThrows(UsageException.class, () -> BenchCommand.count("--threads", "0", 1, 10));
        assertEquals("--threads must be a whole number in [1, 10], got '0'", u.getMessage());
    }
}
