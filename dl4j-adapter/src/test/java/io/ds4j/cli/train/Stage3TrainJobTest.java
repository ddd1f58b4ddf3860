package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.ledger.ModelStateBytes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ds4j train} with a ZeRO stage-3 configuration on 4 ranks: it trains (the network's DL4J Adam, no optimizer
 * section), and prints per rank the persistent model-state bytes against {@code (4 + 4 + 8)Ψ/N} and the peak
 * transient bytes against the derived bound.
 *
 * <p>Expected numbers, derived here from the OptDigits MLP 64-256-128-10: Ψ = 64·256+256 + 256·128+128 + 128·10+10 =
 * 50826; N = 4, shard ceil(Ψ/4) = 12707; fp32 Adam (w = 2): 16 · 12707 = 203312 B per rank, with or without
 * offload_param (the offloaded shard is the fp32 master: 4 · 12707 B move from the device to the host). A rank really
 * holds its owned elements of each of the 6 tensors (each
 * padded to a multiple of 4, so at most 3 elements off per tensor): within 5% (in fact within 0.1%). Transient
 * bound: largest module 32896 (256·128+128), largest tensor 32768, 6 tensors, max_live default 1e9 so live =
 * min(32896 + 1e9 + 32768, Ψ) + 6·3 = 50844 elements; bound = 8·32896 + 4·(50844 + 32768 + 4 + 8192 + 1) = 630404 B.
 */
class Stage3TrainJobTest {
    private static final int STEPS = 5;
    private static final long PSI = 64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10;
    private static final long SHARD = (PSI + 3) / 4;
    private static final long BOUND = 8L * 32896 + 4L * (50844 + 32768 + 4 + 8192 + 1);

    @TempDir
    Path dir;

    /** Rank {@code r}'s owned elements of the 6 tensors, {@code ceil(n / 4)} each, the last rank's fewer. */
    private static long owned(int r) {
        long sum = 0;
        for (long n : new long[] {64 * 256, 256, 256 * 128, 128, 128 * 10, 10}) {
            long c = (n + 3) / 4;
            sum += Math.max(0, Math.min(c, n - r * c));
        }
        return sum;
    }

    /** A finished run: its summary and what it printed. */
    private record Run(TrainSummary summary, String text) { }

    private static Run run(TrainJob.Request request) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        TrainSummary summary;
        try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            summary = TrainJob.run(request, ps, false);
        }
        return new Run(summary, err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "offload_param {0}")
    @ValueSource(strings = {"none", "cpu"})
    void printsModelStatesAgainstTheFormulaAndTransientsAgainstTheBound(String device) throws Exception {
        String json = "{\"train_batch_size\": 64, \"gradient_clipping\": 1.0, \"zero_optimization\": {\"stage\": 3,"
                + " \"stage3_param_persistence_threshold\": 0, \"offload_param\": {\"device\": \"" + device + "\"}}}";
        Run r = run(new TrainJob.Request(json, "stage3", 4, STEPS, dir.resolve("m.zip")));
        TrainSummary summary = r.summary();
        String text = r.text();
        assertEquals(PSI, 50826);
        assertTrue(summary.lastLoss() < summary.firstLoss(), "stage 3 trains: " + summary.losses());
        boolean offload = device.equals("cpu");
        long formula = 16 * SHARD;
        assertTrue(text.contains("ZeRO-3 memory per rank: Ψ 50826, N 4, formula") && text.contains("= " + formula
                + " B; transient bound " + BOUND + " B"), text);
        assertEquals(4, summary.ledgers().size());
        for (LedgerSnapshot s : summary.ledgers()) {
            long held = ModelStateBytes.of(s).total();
            assertTrue(Math.abs(held / (double) formula - 1) <= 0.05, "rank " + s.rank() + ": " + held + " vs "
                    + formula);
            long peak = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
            assertTrue(peak > 0 && peak <= BOUND, "rank " + s.rank() + " peak transient " + peak);
            assertTrue(text.contains("rank " + s.rank() + ": persistent param+grad+optimizer " + held + " B"), text);
            // cpu on the CPU backend: the 4 in-process ranks keep their shards in place in the network, whose memory
            // is the host's: each rank's owned elements (the last rank owns 1 of the 10 output biases, not 3)
            long host = offload ? 4 * owned(s.rank()) : 0;
            assertEquals(host, s.bytes(MemoryCategory.PARAMETERS, MemoryTier.HOST),
                    "the offloaded shards are on the host, the rank's owned elements");
            assertTrue(text.contains("rank " + s.rank() + ": persistent param+grad+optimizer " + held + " B ("), text);
            assertTrue(text.contains("device " + (held - host) + " B, host " + host + " B, disk 0 B"), text);
        }
        assertEquals(BOUND, Stage3MemoryReport.of(
                io.ds4j.cli.train.DigitsModel.build(new org.nd4j.linalg.learning.config.Adam(1e-3), 1).getLayers(),
                2 * PSI, DeepSpeedConfig.parse(json).zero(), 4).bound());
    }

    /**
     * With DeepSpeed's Adam section and {@code offload_optimizer} cpu: the store adds its own fp32 master (4 ceil(Ψ/N))
     * and holds Adam's state on the host; the step stages nothing of the shard's size (the store reads the gradient
     * pieces and writes the masters in place), so no OFFLOAD_BUFFERS are held on the host with cpu (no swap slots).
     */
    @org.junit.jupiter.api.Test
    void optimizerOffloadAddsTheStoresMasterAndNoStaging() throws Exception {
        String json = "{\"train_batch_size\": 64, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.001}},"
                + " \"zero_optimization\": {\"stage\": 3, \"stage3_param_persistence_threshold\": 0,"
                + " \"offload_optimizer\": {\"device\": \"cpu\"}}}";
        Run r = run(new TrainJob.Request(json, "stage3", 4, STEPS, dir.resolve("o.zip")));
        TrainSummary summary = r.summary();
        String text = r.text();
        long formula = 16 * SHARD + 4 * SHARD;
        long bound = BOUND;
        assertTrue(text.contains("formula (4 + 4 + 8 + 4 offloaded master)Ψ/N = " + formula + " B; transient bound "
                + bound + " B"), text);
        for (LedgerSnapshot s : summary.ledgers()) {
            long held = ModelStateBytes.of(s).total();
            assertTrue(Math.abs(held / (double) formula - 1) <= 0.05, "rank " + s.rank() + ": " + held + " vs "
                    + formula);
            long peak = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
            assertTrue(peak > 0 && peak <= bound, "rank " + s.rank() + " peak transient " + peak + " vs " + bound);
            assertEquals(0, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE));
            assertEquals(0, s.peakBytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST),
                    "no whole-shard staging of the owned gradient and master");
            assertTrue(Math.abs(s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.HOST) / (8.0 * SHARD) - 1) <= 0.05,
                    "Adam's state on the host: " + s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.HOST));
        }
    }

    /**
     * The scale check through {@code ds4j train --model wide}: Ψ = 64·800+800 + 8·(800·800+800) + 800·10+10 =
     * 5186410 parameters in 10 layers, 4 ranks, stage-3 knobs prefetch 5e5, max_live 1e6, reuse distance 0,
     * persistence 0. Formula 16 · ceil(Ψ/4) = 16 · 1296603 = 20745648 B per rank (within 5%). Bound: largest module
     * 640800 (800·800+800), largest tensor 640000, 20 tensors, reuse distance 0 so nothing is kept:
     * live = min(640800 + 1e6 + 640000, Ψ) + 20·3 = 2280860; bound = 8·640800 + 4·(2280860 + 640000 + 4 + 160000 + 1)
     * = 17449860 B, below the 4Ψ = 20745640 B of one full fp32 copy of the model.
     */
    @org.junit.jupiter.api.Test
    void wideModelOnFourRanksMeetsTheFormulaAndTheBound() throws Exception {
        String json = "{\"train_batch_size\": 64, \"zero_optimization\": {\"stage\": 3,"
                + " \"stage3_param_persistence_threshold\": 0, \"stage3_max_live_parameters\": 1000000,"
                + " \"stage3_prefetch_bucket_size\": 500000, \"stage3_max_reuse_distance\": 0}}";
        Run r = run(new TrainJob.Request(json, "wide", 4, 2, dir.resolve("w.zip"), "wide"));
        TrainSummary summary = r.summary();
        String text = r.text();
        long psi = 64 * 800 + 800 + 8 * (800 * 800 + 800) + 800 * 10 + 10;
        assertEquals(5_186_410, psi);
        long formula = 16 * ((psi + 3) / 4);
        long bound = 8L * 640800 + 4L * (2280860 + 640000 + 4 + 160000 + 1);
        assertTrue(text.contains("Ψ 5186410, N 4, formula (4 + 4 + 8)Ψ/N = " + formula + " B; transient bound "
                + bound + " B"), text);
        for (LedgerSnapshot s : summary.ledgers()) {
            long held = ModelStateBytes.of(s).total();
            assertTrue(Math.abs(held / (double) formula - 1) <= 0.05, "rank " + s.rank() + ": " + held);
            long peak = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
            assertTrue(peak > 0 && peak <= bound, "rank " + s.rank() + " peak transient " + peak + " > " + bound);
            assertTrue(bound < 4 * psi, "the bound is below one full copy of the model");
        }
    }

    private static String[] cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = io.ds4j.cli.Main.standard().run(java.util.List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(code), err.toString(StandardCharsets.UTF_8)};
    }

    @org.junit.jupiter.api.Test
    void unknownModelIsAUsageError() {
        String[] r = cli("train", "--model", "huge");
        assertEquals("2", r[0]);
        assertTrue(r[1].contains("--model: 'huge' is not a model; use digits or wide"), r[1]);
    }

    @org.junit.jupiter.api.Test
    void theDefaultConfigsOptimizerSectionTrainsAtStage3() throws Exception {
        Path cfg = dir.resolve("s3.json");
        java.nio.file.Files.writeString(cfg, TrainJob.defaultConfig().replace("\"stage\": 2", "\"stage\": 3"));
        Path model = dir.resolve("s3-model.zip");
        String[] r = cli("train", "--steps", "1", "--out", model.toString(), cfg.toString());
        assertEquals("0", r[0], r[1]); // the optimizer section runs on the master shards (Stage3OptimizerSectionTest)
        assertTrue(java.nio.file.Files.size(model) > 0, "the trained network is saved");
    }
}
