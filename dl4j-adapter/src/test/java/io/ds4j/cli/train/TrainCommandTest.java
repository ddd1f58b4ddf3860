package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ds4j train} through {@link Main}: arguments, refusals, and the embedded default. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.standard().run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badStepsIsAUsageError() {
        Result r = run("train", "--steps", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--steps: '0'"), r.err());
    }

    @Test
    void whatTheEngineCannotDoIsRefusedNamingTheKey() throws IOException {
        Path cfg = dir.resolve("sum.json");
        Files.writeString(cfg, "{\"train_batch_size\": 64, \"gradient_allreduce_op\": \"sum\"}");
        Result r = run("train", "--steps", "2", "--out", dir.resolve("m.zip").toString(), cfg.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: gradient_allreduce_op: "), r.err());
    }

    /**
     * Issue 12, defect 5: a configuration error found inside a stage-3 rank (here offload_param's nvme_path, as the
     * shared config dse-ds_offload_nvme_aio.json has it: a directory that does not exist on this machine) is reported
     * as stage 2 reports its own: exit 2, one line naming the JSON path, no stack trace.
     */
    @Test
    void aStage3ConfigErrorInsideARankExitsTwoNamingThePath() throws IOException {
        Path cfg = dir.resolve("nvme3.json");
        String missing = dir.resolve("no-such-nvme").toString().replace("\\", "\\\\");
        Files.writeString(cfg, "{\"train_batch_size\": 32, \"zero_optimization\": {\"stage\": 3, \"offload_param\":"
                + " {\"device\": \"nvme\", \"nvme_path\": \"" + missing + "\"}}}");
        Result r = run("train", "--world-size", "2", "--steps", "2", "--out", dir.resolve("m.zip").toString(),
                cfg.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("error: zero_optimization.offload_param.nvme_path: ")),
                r.err());
        assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), r.err());
    }

    @Test
    void anInvalidBatchTriadForTheWorldSizeIsRefused() throws IOException {
        Path cfg = dir.resolve("triad.json");
        Files.writeString(cfg, "{\"train_batch_size\": 64, \"train_micro_batch_size_per_gpu\": 32,"
                + " \"gradient_accumulation_steps\": 1}");
        Result r = run("train", "--world-size", "3", "--steps", "2", cfg.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train_batch_size"), r.err());
    }

    @Test
    void stepsPerPrintAndWallClockBreakdownPrintWhatDeepSpeedPrints() throws IOException {
        Path cfg = dir.resolve("print.json");
        Files.writeString(cfg, "{\"train_batch_size\": 32, \"steps_per_print\": 4, \"wall_clock_breakdown\": true,"
                + " \"zero_optimization\": {\"stage\": 1}}");
        Path zip = dir.resolve("m.zip");
        Result r = run("train", "--steps", "8", "--out", zip.toString(), cfg.toString());
        assertEquals(0, r.code(), r.err());
        // steps_per_print 4 over 8 steps: lines at steps 4 and 8, each with the breakdown
        List<String> lines = r.err().lines().filter(l -> l.startsWith("step ")).toList();
        assertEquals(2, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("step 4: loss ") && lines.get(1).startsWith("step 8: loss "), r.err());
        for (String l : lines) {
            assertTrue(l.contains("forward ") && l.contains("backward ") && l.contains("reduce+step+gather "), l);
        }
        assertTrue(r.out().contains("steps            8 (0 skipped)"), r.out());
        assertTrue(Files.size(zip) > 0);
    }

    @Test
    void fp16ShowsTheLossScaleOfDeepSpeedsInitialScalePower() throws IOException {
        Path cfg = dir.resolve("fp16.json");
        Files.writeString(cfg, "{\"train_batch_size\": 64, \"optimizer\": {\"type\": \"Adam\", \"params\":"
                + " {\"lr\": 0.002}}, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8},"
                + " \"zero_optimization\": {\"stage\": 2}}");
        Result r = run("train", "--steps", "20", "--out", dir.resolve("fp16.zip").toString(), cfg.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("ZeRO stage 2, fp16"), r.err());
        // dynamic scale starts at 2^initial_scale_power = 256 and only grows after loss_scale_window (1000) clean
        // steps; |gradient| x 256 stays far below fp16's 65504 for this network, so no step overflows
        List<String> bars = r.err().lines().filter(l -> l.startsWith("[")).toList();
        assertTrue(!bars.isEmpty(), r.err());
        for (String b : bars) {
            assertTrue(b.contains(" loss-scale 256 "), b);
        }
        assertTrue(r.out().contains("steps            20 (0 skipped)"), r.out());
    }

    @Test
    void theEmbeddedDefaultIsTheExamplesFile() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("examples").resolve("configs"))) {
            root = root.getParent();
        }
        assertEquals(Files.readString(root.resolve("examples/configs/default.json")), TrainJob.defaultConfig());
    }
}
