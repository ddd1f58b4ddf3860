package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import io.ds4j.cli.bench.ProbeSetup.Offload;
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

/** {@code ds4j bench memory}'s plumbing, with children replaced by canned results (no JVM is started here). */
class MemoryBenchTest {
    @TempDir
    Path dir;

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8);

    /** A child that reports a fixed peak and a ledger, as {@link MemoryProbe} prints them. */
    static ChildJvm.Result ok(long vmhwm) {
        return new ChildJvm.Result(0, false, 1, List.of("ds4j-probe.psi=1000", "ds4j-probe.status=ok",
                "ds4j-probe.seconds=1.50", "ds4j-probe.vmhwm=" + vmhwm, "ds4j-probe.heap_peak=100",
                "ds4j-probe.ledger.peak=7000", "ds4j-probe.ledger.tier.DEVICE=6000", "ds4j-probe.ledger.tier.HOST=1000",
                "ds4j-probe.ledger.PARAMETERS.DEVICE=4000", "ds4j-probe.ledger.GRADIENTS.HOST=1000"), List.of());
    }

    @Test
    void defaultPlanIsEveryStageWithTheOffloadsItSupports() {
        MemoryBench.Plan plan = MemoryBench.plan(List.of());
        List<String> names = plan.setups().stream().map(s -> s.stage() + "/" + s.optimizer().device() + "/"
                + s.param().device()).toList();
        assertEquals(List.of("0/none/none", "1/none/none", "1/cpu/none", "1/nvme/none", "2/none/none", "2/cpu/none",
                "2/nvme/none", "3/none/none", "3/cpu/cpu", "3/nvme/nvme"), names);
        assertEquals(2, plan.worldSize());
        assertEquals(Path.of("bench-memory"), plan.outDir());
    }

    @Test
    void everySetupIsAValidDeepSpeedConfig() {
        for (ProbeSetup s : MemoryBench.plan(List.of("--params", "20k")).setups()) {
            ProbeSetup withPath = new ProbeSetup(s.mode(), s.stage(), s.optimizer(), s.param(), s.size(),
                    dir.resolve("nvme"));
            DeepSpeedConfig c = DeepSpeedConfig.parse(withPath.json());
            assertEquals(s.stage(), c.zero().stage());
            assertEquals(s.optimizer() != Offload.NONE, c.zero().offloadsOptimizer(), withPath.json());
            assertEquals(s.param() != Offload.NONE, c.zero().offloadsParams(), withPath.json());
            assertEquals(s, ProbeSetup.parse(s.toArgs()));
        }
    }

    @Test
    void badArgumentsExitTwoNamingTheOption() {
        for (List<String> bad : List.of(List.of("--params", "lots"), List.of("--world-size", "0"),
                List.of("--stages", "4"), List.of("--offload", "disk"), List.of("--xmx", "2 GB"),
                List.of("--stages", "0", "--offload", "nvme"), List.of("--frobnicate", "1"), List.of("--out"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            List<String> args = new ArrayList<>(List.of("bench", "memory"));
            args.addAll(bad);
            int code = Main.standard().run(args, QUIET, new PrintStream(err, true, StandardCharsets.UTF_8));
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, code, bad + ": " + text);
            assertTrue(text.startsWith("error: "), text);
            assertTrue(text.contains(bad.get(bad.size() == 4 ? 2 : 0)), bad + " named in " + text);
        }
    }

    @Test
    void formulaInMemoryLeavesOutWhatNvmeKeepsInFiles() {
        // Ψ 1000, N 2, fp32 Adam: p = g = 4 B, K = 8 B; a shard is 500 parameters
        ProbeResult none = ProbeResult.of(ok(1));
        assertEquals(16_000, new MemoryRow(0, Offload.NONE, 1000, 2, none).formulaInMemory());
        assertEquals(4000 + 4000 + 4000, new MemoryRow(1, Offload.CPU, 1000, 2, none).formulaInMemory());
        assertEquals(4000 + 4000, new MemoryRow(1, Offload.NVME, 1000, 2, none).formulaInMemory());
        assertEquals(4000 + 2000 + 4000, new MemoryRow(2, Offload.NONE, 1000, 2, none).formulaInMemory());
        assertEquals(4000 + 2000, new MemoryRow(2, Offload.NVME, 1000, 2, none).formulaInMemory());
        assertEquals(2000 + 2000 + 4000, new MemoryRow(3, Offload.CPU, 1000, 2, none).formulaInMemory());
        assertEquals(2000, new MemoryRow(3, Offload.NVME, 1000, 2, none).formulaInMemory());
        assertEquals(100 + 2 * 2000, new MemoryRow(3, Offload.NVME, 1000, 2, none).expectedPeak(100));
        // plain fit(): the gradient (4 B) and Adam's two words (8 B) per parameter, once; the parameters are in the
        // baseline
        MemoryRow fit = new MemoryRow(MemoryRow.FIT, Offload.NONE, 1000, 2, none);
        assertEquals(12_000, fit.formulaInMemory());
        assertEquals(100 + 12_000, fit.expectedPeak(100));
    }

    @Test
    void theFitReferenceRowIsOptional() {
        assertTrue(MemoryBench.plan(List.of()).withFit());
        assertFalse(MemoryBench.plan(List.of("--fit", "no")).withFit());
    }

    @Test
    void aFailedChildIsARowThatSaysWhyAndTheNvmeFolderGoes() throws Exception {
        MemoryBench.Plan plan = MemoryBench.plan(List.of("--params", "20k", "--stages", "0,2", "--offload",
                "none,nvme", "--out", dir.toString()));
        List<Path> nvmeFolders = new ArrayList<>();
        ChildJvm.Launcher fake = args -> {
            args.stream().filter(a -> a.startsWith("nvme=")).forEach(a -> {
                Path p = Path.of(a.substring(5));
                assertTrue(Files.isDirectory(p), "the child gets an existing nvme folder: " + p);
                nvmeFolders.add(p);
            });
            if (args.contains("stage=2") && args.contains("optimizer=nvme")) {
                return new ChildJvm.Result(137, false, 3, List.of("ds4j-probe.psi=1000"), List.of("", "Killed"));
            }
            return ok(args.contains("mode=baseline") ? 1000 : 21000);
        };
        MemoryReport report = MemoryBench.measure(plan, fake, QUIET);
        assertEquals(List.of("dl4j fit()", "zero-0 none", "zero-2 none", "zero-2 nvme"),
                report.rows().stream().map(MemoryRow::name).toList());
        assertEquals(1, nvmeFolders.size());
        assertFalse(Files.exists(nvmeFolders.get(0)), "deleted after the child");
        MemoryRow failed = report.rows().get(3);
        assertEquals("zero-2 nvme", failed.name());
        assertFalse(failed.result().ok());
        assertEquals("child exited with status 137: Killed", failed.result().error());
        assertTrue(report.table().contains("zero-2 nvme  failed: child exited with status 137: Killed"),
                report.table());
    }

    @Test
    void writesCsvWithEveryColumnOnEveryRowAndAPng() throws Exception {
        MemoryBench.Plan plan = MemoryBench.plan(List.of("--params", "20k", "--stages", "0", "--fit", "no",
                "--out", dir.toString()));
        MemoryReport report = MemoryBench.measure(plan, args -> ok(args.contains("mode=baseline") ? 1000 : 21000),
                QUIET);
        List<Path> files = report.write(dir);
        assertEquals(3, files.size());
        List<String> csv = Files.readAllLines(dir.resolve("bench-memory.csv"));
        assertEquals(String.join(",", MemoryReport.COLUMNS), csv.get(0));
        assertEquals(3, csv.size(), "header, baseline, zero-0 none");
        for (String line : csv) {
            assertEquals(MemoryReport.COLUMNS.size(), line.split(",", -1).length, line);
        }
        String row = csv.get(2);
        assertTrue(row.startsWith("zero-0 none,ok,"), row);
        // VmHWM 21000 against baseline 1000 + N (2) x 16 B x Ψ: the ratio columns are computed from those
        long psi = plan.psi();
        String expected = String.valueOf(1000 + 2 * 16 * psi);
        assertTrue(Arrays.asList(row.split(",")).contains(expected), row + " has expected " + expected);
        byte[] png = Files.readAllBytes(dir.resolve("bench-memory.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    }
}
