package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import io.ds4j.config.DeepSpeedConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ds4j bench capacity}'s plumbing, with children replaced by canned results (no JVM is started here). */
class CapacityBenchTest {
    @TempDir
    Path dir;

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8);

    private static long arg(List<String> args, String key) {
        return args.stream().filter(a -> a.startsWith(key + "=")).map(a -> Long.parseLong(a.substring(key.length()
                + 1))).findFirst().orElseThrow();
    }

    /** fit trains up to 4k parameters, zero2 up to 8k, zero3 up to 16k; above that each dies of an OOM. */
    private static ChildJvm.Result fake(List<String> args) {
        long params = arg(args, "params");
        long limit = args.contains("mode=fit") ? 4000 : arg(args, "stage") == 2 ? 8000 : 16000;
        if (params <= limit) {
            return MemoryBenchTest.ok(params * 10);
        }
        return new ChildJvm.Result(3, false, 1, List.of("ds4j-probe.status=failed", "ds4j-probe.oom=true",
                "ds4j-probe.error=RankFailedException caused by java.lang.OutOfMemoryError: Java heap space"),
                List.of());
    }

    @Test
    void doublesUntilTheFirstFailureAndReportsTheRatioToFit() throws Exception {
        CapacityBench.Plan plan = CapacityBench.plan(List.of("--start-params", "1000", "--max-params", "1M",
                "--out", dir.toString()));
        List<Long> asked = new ArrayList<>();
        CapacityReport report = CapacityBench.measure(plan, args -> {
            asked.add(arg(args, "params"));
            return fake(args);
        }, QUIET);
        // fit: 1k 2k 4k 8k(fails); zero2: 1k..8k 16k(fails); zero3: 1k..16k 32k(fails)
        assertEquals(List.of(1000L, 2000L, 4000L, 8000L, 1000L, 2000L, 4000L, 8000L, 16000L, 1000L, 2000L, 4000L,
                8000L, 16000L, 32000L), asked);
        assertEquals(4000, report.largest("fit").params());
        assertEquals(16000, report.largest("zero3-nvme").params());
        double psiRatio = report.largest("zero3-nvme").psi() / (double) report.largest("fit").psi();
        assertEquals(psiRatio, report.ratioToFit("zero3-nvme"), 0);
        assertTrue(report.table().contains("OOM"), report.table());
        assertTrue(report.table().contains("Java heap space"), report.table());
    }

    @Test
    void stopsAtTheMaximumAndSaysWhenNothingTrained() throws Exception {
        CapacityBench.Plan plan = CapacityBench.plan(List.of("--start-params", "5000", "--max-params", "12000",
                "--setups", "fit,zero2-nvme", "--out", dir.toString()));
        CapacityReport report = CapacityBench.measure(plan, CapacityBenchTest::fake, QUIET);
        assertNull(report.largest("fit"), "5k is above fit's 4k");
        assertEquals(1, report.attempts().stream().filter(a -> a.setup().equals("fit")).count());
        assertEquals(List.of(5000L, 10000L), report.attempts().stream().filter(a -> a.setup().equals("zero2-nvme"))
                .map(CapacityBench.Attempt::params).toList(), "10k trains, 20k is above --max-params");
        assertTrue(Double.isNaN(report.ratioToFit("zero2-nvme")));
        assertTrue(report.table().contains("fit         none"), report.table());
    }

    @Test
    void writesCsvAndPng() throws Exception {
        CapacityBench.Plan plan = CapacityBench.plan(List.of("--start-params", "1000", "--max-params", "4000",
                "--out", dir.toString()));
        CapacityReport report = CapacityBench.measure(plan, CapacityBenchTest::fake, QUIET);
        report.write(dir);
        List<String> csv = Files.readAllLines(dir.resolve("bench-capacity.csv"));
        assertEquals(CapacityReport.CSV_HEADER, csv.get(0));
        assertEquals(1 + 3 + 3 + 3, csv.size());
        int columns = CapacityReport.CSV_HEADER.split(",").length;
        for (String line : csv) {
            assertEquals(columns, line.split(",", -1).length, line);
        }
        assertTrue(csv.get(1).startsWith("fit,1000,"), csv.get(1));
        byte[] png = Files.readAllBytes(dir.resolve("bench-capacity.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    }

    @Test
    void theChildGetsTheLimitsAsGivenAndTheSetupsAreDeepSpeedConfigs() {
        CapacityBench.Plan plan = CapacityBench.plan(List.of("--xmx", "300m", "--maxbytes", "1g",
                "--maxphysicalbytes", "2g"));
        assertEquals(List.of("-Xmx300m", "-Dorg.bytedeco.javacpp.maxbytes=1g",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=2g"), plan.limits());
        for (String s : List.of("zero2-nvme", "zero3-nvme")) {
            ProbeSetup p = CapacityBench.setup(s, 1000, 1);
            p = new ProbeSetup(p.mode(), p.stage(), p.optimizer(), p.param(), p.size(), dir);
            DeepSpeedConfig c = DeepSpeedConfig.parse(p.json());
            assertTrue(c.zero().offloadsOptimizer(), s);
            assertEquals(s.equals("zero3-nvme"), c.zero().offloadsParams(), s);
            assertEquals(CapacityBench.STEPS, p.size().steps());
        }
    }

    @Test
    void theDominantBufferIsTheLargestInMemoryNotInFiles() {
        ChildJvm.Result child = new ChildJvm.Result(0, false, 1, List.of("ds4j-probe.status=ok",
                "ds4j-probe.ledger.peak=20000", "ds4j-probe.ledger.tier.DEVICE=6000", "ds4j-probe.ledger.tier.HOST=1000",
                "ds4j-probe.ledger.tier.DISK=13000", "ds4j-probe.ledger.PARAMETERS.DEVICE=4000",
                "ds4j-probe.ledger.GRADIENTS.HOST=1000", "ds4j-probe.ledger.OPTIMIZER_STATE.DISK=13000"), List.of());
        ProbeResult r = ProbeResult.of(child);
        assertEquals(7000, r.ledgerPeakInMemory());
        assertEquals("PARAMETERS", r.dominantCategory());
        assertEquals(13000, r.ledgerPeak(io.ds4j.zero.ledger.MemoryCategory.OPTIMIZER_STATE));
        assertEquals(0, r.ledgerPeakInMemory(io.ds4j.zero.ledger.MemoryCategory.OPTIMIZER_STATE));
        ProbeResult fit = ProbeResult.of(new ChildJvm.Result(0, false, 1, List.of("ds4j-probe.status=ok"), List.of()));
        assertEquals("", fit.dominantCategory(), "no ledger: fit() has none");
    }

    @Test
    void badArgumentsExitTwo() {
        for (List<String> bad : List.of(List.of("--start-params", "-3"), List.of("--max-params", "1000",
                "--start-params", "2000"), List.of("--setups", "fit,deepspeed"), List.of("--maxbytes", "lots"),
                List.of("--quick"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            List<String> args = new ArrayList<>(List.of("bench", "capacity"));
            args.addAll(bad);
            int code = Main.standard().run(args, QUIET, new PrintStream(err, true, StandardCharsets.UTF_8));
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, code, bad + ": " + text);
            assertTrue(text.startsWith("error: --") || text.startsWith("error: unknown option"), text);
        }
    }
}
