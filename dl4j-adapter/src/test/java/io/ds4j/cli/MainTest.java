package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The dispatcher's contract: help lists every command, unknown commands and bad arguments exit 2. */
class MainTest extends CliHarness {
    @Test
    void helpListsEveryRegisteredCommand() {
        assertEquals(0, run("help"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("report"), text);
        assertTrue(text.contains("help"), text);
    }

    @Test
    void noArgumentsPrintsHelp() {
        assertEquals(0, run());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: ds4j <command>"));
    }

    @Test
    void unknownCommandExitsTwoAndSaysSo() {
        assertEquals(2, run("trian"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("error: unknown command 'trian'"));
    }

    @Test
    void reportRejectsArgumentsWithUsage() {
        assertEquals(2, run("report", "extra"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("error: "), e);
        assertTrue(e.contains("usage: ds4j report"), e);
    }

    @Test
    void reportNamesBackendCoresAndCuda() {
        assertEquals(0, run("report"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("nd4j backend class"), text);
        assertTrue(text.contains("cpu cores (JVM)"), text);
        assertTrue(text.contains("cuda usable"), text);
        assertTrue(text.contains("physical memory"), text);
    }

    @Test
    void helpForOneCommandPrintsItsUsage() {
        assertEquals(0, run("help", "report"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: ds4j report"));
    }
}
