package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ds4j bench train --quick}: every contender has a row, the files are written, ds4j matches fit(). */
class TrainBenchTest {
    @TempDir
    static Path dir;
    private static BenchReport report;
    private static List<Path> files;

    @BeforeAll
    static void runQuick() throws Exception {
        // a representative subset keeps the test short; contenders() is checked separately
        List<Contender> subset = List.of(new Contender.PlainFit(0), new Contender.Wrapper(0),
                new Contender.Zero(0, "fp32", false, false), new Contender.Zero(1, "fp32", false, false),
                new Contender.Zero(2, "fp32", false, false), new Contender.Zero(2, "fp32", false, true),
                new Contender.Zero(2, "fp32", true, true));
        report = TrainBench.run(BenchPlan.quick(dir), subset, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
        files = report.write(dir);
    }

    private static Outcome row(String name) {
        return report.outcomes().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void everyCombinationIsAContender() {
        List<String> names = TrainBench.contenders().stream().map(Contender::name).toList();
        // fit and ParallelWrapper (two thread settings each), 3 stages x 3 precisions x 2 optimizer settings, and
        // ZeRO-2 with DeepSpeed's Adam
        assertEquals(4 + 18 + 1, names.size());
        assertEquals(names.size(), new java.util.HashSet<>(names).size());
        for (String p : List.of("fp32", "fp16", "bf16")) {
            assertTrue(names.contains("ds4j zero-0 " + p + " no-offload"), names.toString());
            assertTrue(names.contains("ds4j zero-0 " + p + " no-offload DS-Adam"), names.toString());
            for (int stage = 1; stage <= 2; stage++) {
                assertTrue(names.contains("ds4j zero-" + stage + " " + p + " no-offload"), names.toString());
                assertTrue(names.contains("ds4j zero-" + stage + " " + p + " cpu-offload DS-Adam"), names.toString());
            }
        }
    }

    @Test
    void noRowClaimsAnOffloadThatStageZeroDoesNotDo() {
        // DeepSpeed offloads the optimizer of a ZeRO optimizer only (stage >= 1): a stage-0 row named cpu-offload
        // would measure the same engine as no-offload
        for (Contender c : TrainBench.contenders()) {
            if (c instanceof Contender.Zero z && z.stage() == 0) {
                assertFalse(z.offload(), z.name());
                assertFalse(z.json(64).contains("offload"), z.json(64));
            }
        }
    }

    @Test
    void noColumnSumsTheWholeProcessesMemoryOverRunOrder() {
        // every contender shares one process, so an RSS after each grows with run order: the memory of a setup is
        // measured in its own process by `bench memory`, not here
        assertFalse(BenchReport.CSV_HEADER.toLowerCase(java.util.Locale.ROOT).contains("rss"), BenchReport.CSV_HEADER);
        assertFalse(report.table().contains("RSS"), report.table());
    }

    @Test
    void everyRowRanOrSaysWhyNot() {
        assertEquals(7, report.outcomes().size());
        assertTrue(row("dl4j fit()") instanceof Outcome.Measured);
        assertTrue(row("ParallelWrapper x2 avg") instanceof Outcome.Measured);
        for (int stage = 0; stage <= 2; stage++) {
            assertTrue(row("ds4j zero-" + stage + " fp32 no-offload") instanceof Outcome.Measured, "stage " + stage);
        }
        for (Outcome o : report.outcomes()) {
            if (o instanceof Outcome.Unsupported u) {
                assertTrue(u.reason().matches("(?s)[a-z_0-9.]+: .+"), "the reason names the key: " + u.reason());
            } else {
                assertEquals(5, ((Outcome.Measured) o).windowRates().length, o.name());
            }
        }
    }

    @Test
    void ds4jFp32ComputesTheSameUpdatesAsPlainFit() {
        Outcome.Measured fit = (Outcome.Measured) row("dl4j fit()");
        for (int stage = 0; stage <= 2; stage++) {
            Outcome.Measured z = (Outcome.Measured) row("ds4j zero-" + stage + " fp32 no-offload");
            // 12 Adam steps on the same batches: the parameters agree to float rounding of the gradient sums
            assertTrue(z.maxAbsDiff(fit.params()) < 1e-5, "stage " + stage + ": " + z.maxAbsDiff(fit.params()));
            assertEquals(fit.finalLoss(), z.finalLoss(), 1e-4);
            assertTrue(z.peakLedgerBytes() > 4L * fit.params().length, "the ledger holds at least the fp32 params");
        }
    }

    @Test
    void deepSpeedsAdamSectionRunsOnTheEngineAndLearnsLikeFit() {
        Outcome.Measured fit = (Outcome.Measured) row("dl4j fit()");
        Outcome o = row("ds4j zero-2 fp32 no-offload DS-Adam");
        if (o instanceof Outcome.Measured ds) {
            // same lr, betas and eps; PyTorch adds eps to sqrt(v_hat), DL4J to sqrt(v), i.e. an effective eps of
            // 1e-8 / sqrt(1 - 0.999^t) (3e-7 at t = 1): only weights with gradients near 1e-7 move differently, so the
            // loss agrees closely while single parameters may not
            assertEquals(fit.finalLoss(), ds.finalLoss(), 1e-2);
            assertTrue(ds.finalLoss() < Math.log(10), "it learns: " + ds.finalLoss());
        } else {
            assertTrue(((Outcome.Unsupported) o).reason().startsWith("optimizer"), o.toString());
        }
    }

    @Test
    void writesTableCsvAndPng() throws Exception {
        assertEquals(3, files.size());
        List<String> csv = Files.readAllLines(dir.resolve("bench-train.csv"));
        assertEquals(BenchReport.CSV_HEADER, csv.get(0));
        assertEquals(8, csv.size());
        assertTrue(csv.get(1).startsWith("dl4j fit(),ok,"), csv.get(1));
        byte[] png = Files.readAllBytes(dir.resolve("bench-train.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        String table = Files.readString(dir.resolve("bench-train.txt"));
        assertTrue(table.startsWith("machine: "), table);
        assertTrue(table.contains("ds4j zero-2 fp32 no-offload"), table);
    }

    @Test
    void medianOfWindows() {
        Outcome.Measured odd = new Outcome.Measured("x", new double[] {5, 1, 3}, -1, 0, new float[0], "");
        Outcome.Measured even = new Outcome.Measured("x", new double[] {4, 1, 3, 2}, -1, 0, new float[0], "");
        assertEquals(3.0, odd.samplesPerSecond(), 0);
        assertEquals(2.5, even.samplesPerSecond(), 0);
    }

    @Test
    void unknownOptionIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.standard().run(List.of("bench", "train", "--bogus"), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--bogus"));
    }
}
