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
            String text = exitsTwo(bad);
            assertTrue(text.startsWith("error: "), text);
            assertTrue(text.contains(bad.get(bad.size() == 4 ? 2 : 0)), bad + " named in " + text);
        }
    }

    /** Runs {@code ds4j bench memory} with {@code bad}, checks that it exits 2 and returns what it printed. */
    private static String exitsTwo(List<String> bad) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("bench", "memory"));
        args.addAll(bad);
        int code = Main.standard().run(args, QUIET, new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, bad + ": " + text);
        return text;
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
    void offloadTermsAreWhatDeepSpeedHoldsBeyondTheFormula() {
        ProbeResult none = ProbeResult.of(ok(1));
        // Ψ 1000, N 2, shard 500. cpu: the fp32 master DeepSpeed clones onto the host, 4 B x 500
        assertEquals(2000, new MemoryRow(1, Offload.CPU, 1000, 2, none).offloadTerms());
        assertEquals(2000, new MemoryRow(3, Offload.CPU, 1000, 2, none).offloadTerms());
        assertEquals(4000 + 4000 + 4000 + 2000, new MemoryRow(1, Offload.CPU, 1000, 2, none).formulaWithOffload());
        // nvme: the optimizer swapper's buffer_count (DeepSpeed's default 4) buffers of the largest sub-group,
        // min(sub_group_size 1e6, 500) fp32 elements: 4 x 500 x 4 B; at stage 3 also offload_param's 4 buffers of
        // buffer_size 1e6 fp32 elements
        assertEquals(8000, new MemoryRow(2, Offload.NVME, 1000, 2, none).offloadTerms());
        assertEquals(8000 + 16_000_000, new MemoryRow(3, Offload.NVME, 1000, 2, none).offloadTerms());
        // nothing without offload, at stage 0, for fit() and the baseline
        assertEquals(0, new MemoryRow(2, Offload.NONE, 1000, 2, none).offloadTerms());
        assertEquals(0, new MemoryRow(0, Offload.NONE, 1000, 2, none).offloadTerms());
        assertEquals(0, new MemoryRow(MemoryRow.FIT, Offload.NONE, 1000, 2, none).offloadTerms());
        // at stages 0-2 rank 0 trains on the user's network: its 4 B x 1000 of parameters are in the baseline
        assertEquals(4000, new MemoryRow(0, Offload.NONE, 1000, 2, none).sharedWithBaseline());
        assertEquals(4000, new MemoryRow(2, Offload.CPU, 1000, 2, none).sharedWithBaseline());
        // ... and at stage 3 without offload (and with cpu on the CPU backend, whose memory is the host's) the
        // in-process ranks' shards are the user's network's parameters; with nvme they are in files, beside it
        assertEquals(4000, new MemoryRow(3, Offload.NONE, 1000, 2, none).sharedWithBaseline());
        assertEquals(io.ds4j.dl4j.EnginePrecision.cudaBackend() ? 0 : 4000,
                new MemoryRow(3, Offload.CPU, 1000, 2, none).sharedWithBaseline());
        assertEquals(0, new MemoryRow(3, Offload.NVME, 1000, 2, none).sharedWithBaseline());
        assertEquals(0, new MemoryRow(MemoryRow.FIT, Offload.NONE, 1000, 2, none).sharedWithBaseline());
        // zero-2 nvme: parameters 4000 and gradient shard 2000 in memory (master and state in files), + 8000, less
        // the user's network's 4000
        assertEquals(100 + 2 * (4000 + 2000 + 8000) - 4000,
                new MemoryRow(2, Offload.NVME, 1000, 2, none).expectedFull(100));
        // zero-3 cpu: parameter, gradient and Adam shards 2000 + 2000 + 4000 and DeepSpeed's host master 2000 per
        // rank, less the user's network's 4000 where the shards are its parameters (the CPU backend)
        assertEquals(100 + 2 * (2000 + 2000 + 4000 + 2000) - (io.ds4j.dl4j.EnginePrecision.cudaBackend() ? 0 : 4000),
                new MemoryRow(3, Offload.CPU, 1000, 2, none).expectedFull(100));
        // the bench's network at 4M, zero-2 cpu: DeepSpeed's estimate_zero2_model_states_mem_needs with cpu_offload
        // puts 16Ψ bytes on the host of a node (master, Adam, fp32 gradient) and 2Ψ of fp16 parameters on each
        // device, in fp32 4Ψ: per rank 4 x 4,000,708 + 16 x 2,000,354 = 48,008,496 B
        assertEquals(48_008_496L, new MemoryRow(2, Offload.CPU, 4_000_708, 2, none).formulaWithOffload());
    }

    @Test
    void severalSizesAreOnePlanEachSmallestFirst() {
        List<MemoryBench.Plan> plans = MemoryBench.plans(List.of("--params", "16M,4M", "--stages", "1"));
        assertEquals(List.of(4_000_000L, 16_000_000L), plans.stream().map(MemoryBench.Plan::params).toList());
        assertEquals(4_000_000L, MemoryBench.plan(List.of("--params", "16M,4M")).params());
        assertTrue(plans.get(1).psi() > plans.get(0).psi());
        for (List<String> bad : List.of(List.of("--params", "4M,4000000"), List.of("--params", "4M,"),
                List.of("--params", "4000000,4000001"))) {
            String text = exitsTwo(bad);
            assertTrue(text.startsWith("error: --params"), text);
        }
    }

    /**
     * Children whose peaks are a fixed cost plus a known number of bytes per parameter: the slope recovers the bytes
     * per parameter whatever the fixed cost, and the excess at each size is the fixed cost.
     */
    @Test
    void theSlopeOverSizesIsTheBytesPerParameterAndTheExcessTheFixedCost() throws Exception {
        List<MemoryBench.Plan> plans = MemoryBench.plans(List.of("--params", "1M,4M,2M", "--stages", "0,2",
                "--offload", "none,cpu", "--out", dir.toString()));
        List<MemoryReport> reports = new ArrayList<>();
        for (MemoryBench.Plan plan : plans) {
            long psi = plan.psi();
            long shard = (psi + 1) / 2;
            reports.add(MemoryBench.measure(plan, args -> {
                long base = 100_000_000L + 4 * psi;
                long fixed = 30_000_000L; // the same at every size
                // fit(): 12 B per parameter + 5 MB fixed; zero-0: N x 16 B; zero-2 none: N x (4Ψ + 12 x shard);
                // zero-2 cpu: 13 B per shard element instead of the formula's 12 + master 4 (the slope shows it);
                // the ZeRO children less rank 0's parameters, which are the baseline's network
                long peak = args.contains("mode=baseline") ? base
                        : args.contains("mode=fit") ? base + 12 * psi + 5_000_000L
                        : args.contains("stage=0") ? base + fixed + 2 * 16 * psi - 4 * psi
                        : args.contains("optimizer=cpu") ? base + fixed + 2 * (4 * psi + 13 * shard) - 4 * psi
                        : base + fixed + 2 * (4 * psi + 12 * shard) - 4 * psi;
                return ok(peak);
            }, QUIET));
        }
        MemorySlope slope = new MemorySlope(reports);
        List<MemorySlope.Line> lines = slope.lines();
        assertEquals(List.of("dl4j fit()", "zero-0 none", "zero-2 none", "zero-2 cpu"),
                lines.stream().map(MemorySlope.Line::name).toList());
        assertEquals(4.0, lines.get(0).baseline(), 1e-6);
        assertEquals(12.0, lines.get(0).above(), 1e-6);
        assertEquals(12.0, lines.get(0).formula(), 1e-9);
        assertEquals(List.of(5_000_000L, 5_000_000L, 5_000_000L), lines.get(0).excess());
        // zero-0: the formula's N x 16 = 32 B per parameter, 28 in full (less rank 0's 4 B of parameters)
        assertEquals(28.0, lines.get(1).above(), 1e-6);
        assertEquals(32.0, lines.get(1).formula(), 1e-9);
        assertEquals(28.0, lines.get(1).full(), 1e-9);
        assertEquals(List.of(30_000_000L, 30_000_000L, 30_000_000L), lines.get(1).excess());
        // zero-2 none: N x (4 + 12/2) = 20 B per parameter (shards round up by half an element at most), 16 in full
        assertEquals(20.0, lines.get(2).formula(), 1e-3);
        assertEquals(16.0, lines.get(2).full(), 1e-3);
        assertEquals(16.0, lines.get(2).above(), 1e-3);
        // zero-2 cpu: the formula's 20; in full with the host master 20 + 4 - 4 = 20; the children hold 17
        assertEquals(20.0, lines.get(3).formula(), 1e-3);
        assertEquals(20.0, lines.get(3).full(), 1e-3);
        assertEquals(17.0, lines.get(3).above(), 1e-3);
        assertTrue(slope.table().contains("zero-2 cpu"), slope.table());
        List<Path> files = slope.write(dir);
        List<String> csv = Files.readAllLines(files.get(0));
        assertEquals(String.join(",", MemorySlope.COLUMNS), csv.get(0));
        assertEquals(5, csv.size());
        for (String line : csv) {
            assertEquals(MemorySlope.COLUMNS.size(), line.split(",", -1).length, line);
        }
        assertTrue(csv.get(2).startsWith("zero-0 none,2," + plans.get(0).psi() + ";"), csv.get(2));
        assertTrue(csv.get(2).contains(",28.00,32.00,0.875,28.00,1.000,30000000;30000000;30000000"), csv.get(2));
    }

    @Test
    void theResidentGuardOfTheChildrenIsTheTrainersUnlessGivenAndABadSlackIsRefused() throws Exception {
        assertEquals(null, MemoryBench.plan(List.of()).residentSlack());
        MemoryBench.Plan plan = MemoryBench.plan(List.of("--params", "20k", "--stages", "0", "--fit", "no",
                "--resident-slack", "0", "--steps", "480"));
        assertEquals("0", plan.residentSlack());
        MemoryReport report = MemoryBench.measure(plan, args -> ok(args.contains("mode=baseline") ? 1000 : 21000),
                QUIET);
        assertTrue(report.table().contains("480 steps, -Dds4j.resident.slack=0"), report.table());
        for (String bad : List.of("-1", "0.1x", "11", "")) {
            io.ds4j.cli.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.ds4j.cli.UsageException.class, () -> MemoryBench.plan(List.of("--resident-slack", bad)));
            assertTrue(e.getMessage().startsWith("--resident-slack must be a fraction"), e.getMessage());
        }
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
