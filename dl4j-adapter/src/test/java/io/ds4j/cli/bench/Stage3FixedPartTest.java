package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ProbeSetup.Offload;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;

/**
 * The fixed part of a stage-3 rank and the expected peak {@code bench memory --processes} prints, worked by hand.
 */
class Stage3FixedPartTest {
    /** 64 -> a -> b -> 10: the largest layer a x b + b when a x b is the largest weight. */
    private static MultiLayerConfiguration net(int a, int b) {
        return new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(64).nOut(a).build())
                .layer(new DenseLayer.Builder().nIn(a).nOut(b).build())
                .layer(new OutputLayer.Builder().nIn(b).nOut(10).build())
                .build();
    }

    @Test
    void termsFollowTheKnobsAndTheLargestLayer() {
        long layer = 1_200_000 + 1_000;
        long persistent = 1_200 + 1_000 + 10; // biases; the 10,000-element output weight is not below the threshold
        Stage3FixedPart.Terms one = Stage3FixedPart.of(net(1200, 1000), 1);
        assertEquals(4 * layer, one.scratch(), "the largest layer's gradients");
        assertEquals(4 * layer, one.pool(), "the gathered layer: larger than max_live and than any shard");
        assertEquals(4 * persistent, one.persistent());
        assertEquals(4 * (layer + layer + persistent), one.total());
        assertEquals(one, Stage3FixedPart.of(net(1200, 1000), 4), "nothing here depends on N");
    }

    @Test
    void maxLiveParametersBoundThePoolWhenLayersAreSmaller() {
        long layer = 300 * 200 + 200; // 64 -> 300 -> 200 -> 10
        Stage3FixedPart.Terms two = Stage3FixedPart.of(net(300, 200), 2);
        assertEquals(4 * layer, two.scratch());
        assertEquals(4 * Stage3FixedPart.MAX_LIVE, two.pool(), "max_live parameters may stay gathered");
    }

    @Test
    void theProbesKnobsAreTheOnesTheFixedPartAssumes() {
        assertTrue(ProbeSetup.STAGE3_KNOBS.contains("\"stage3_max_live_parameters\": " + Stage3FixedPart.MAX_LIVE));
        assertTrue(ProbeSetup.STAGE3_KNOBS.contains("\"stage3_param_persistence_threshold\": "
                + Stage3FixedPart.PERSISTENCE));
        assertTrue(ProbeSetup.STAGE3_KNOBS.contains("\"stage3_prefetch_bucket_size\": 0"), "no prefetch term");
    }

    @Test
    void theReportSetsEachPeakAgainstTheFloorPlusFixedPartPlusFormula() {
        long mib = 1 << 20;
        long psi = 4 * mib; // formula 16Ψ/N = 64 MiB / N
        long tiny = mib / 16; // formula 1 MiB / N
        ProbeResult baseline = child(200 * mib, -1);
        ProcessMemoryReport.Row floor = new ProcessMemoryReport.Row(Offload.NONE, 2, tiny, mib,
                List.of(child(120 * mib, 110 * mib), child(130 * mib, 120 * mib)), null);
        ProbeResult a = child(150 * mib, 140 * mib);
        ProbeResult b = child(160 * mib, 152 * mib);
        ProcessMemoryReport.Row row = new ProcessMemoryReport.Row(Offload.NONE, 2, psi, 10 * mib, List.of(a, b),
                floor);
        ProcessMemoryReport report = new ProcessMemoryReport("test machine", baseline, List.of(row));
        // the floor's largest VmHWM (130) less its fixed part (1) and formula (16 x 1/16 MiB / 2), plus 10 and 64/2
        long expected = 130 * mib - mib - mib / 2 + 10 * mib + 32 * mib;
        assertEquals(expected, row.expected());
        assertEquals(8 * mib, row.gcFreed(), "the largest child's VmHWM less its resident bytes after collections");
        assertEquals(-1, floor.expected(), "a row without a floor has no expected peak");
        String table = report.table();
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.3f", 160.0 * mib / expected)), table);
        assertTrue(report.csv().contains("," + expected + ","), report.csv());
    }

    @Test
    void benchMemoryAddsTheFixedPartToStage3RowsOnly() {
        int width = 1410; // bench memory --params 16000000
        long psi = io.ds4j.cli.train.WideDigitsModel.params(io.ds4j.cli.train.WideDigitsModel.HIDDEN_LAYERS, width);
        long layer = (long) width * width + width;
        long persistent = 9L * width + 10; // the biases; no weight is below 10,000 elements
        long fixed = 4 * (layer + layer + persistent);
        long mib = 1 << 20;
        MemoryRow three = new MemoryRow(3, Offload.NVME, psi, 2, child(500 * mib, -1));
        assertEquals(fixed, three.stage3Fixed(), "the largest layer's scratch and gathered parameters, the biases");
        assertEquals(three.expectedFull(200 * mib) + 2 * fixed, three.expectedStage3(200 * mib));
        MemoryRow two = new MemoryRow(2, Offload.NVME, psi, 2, child(500 * mib, -1));
        assertEquals(0, two.stage3Fixed(), "stages 0-2 gather nothing");
        MemoryRow base = new MemoryRow(MemoryRow.BASELINE, Offload.NONE, psi, 2, child(200 * mib, -1));
        MemoryReport report = new MemoryReport("test machine", base, List.of(two, three));
        String ratio = String.format(java.util.Locale.ROOT, "%.3f", 500.0 * mib / three.expectedStage3(200 * mib));
        assertTrue(report.table().contains(" " + ratio + "\n"), report.table());
        List<String> csv = List.of(report.csv().split("\n"));
        assertTrue(csv.get(0).endsWith(",stage3_fixed_per_rank_bytes,expected_stage3_bytes,"
                + "real_ratio_to_expected_stage3"), csv.get(0));
        assertTrue(csv.get(2).endsWith(",,,"), "no stage-3 columns for zero-2: " + csv.get(2));
        assertTrue(csv.get(3).endsWith("," + fixed + "," + three.expectedStage3(200 * mib) + "," + ratio), csv.get(3));
    }

    private static ProbeResult child(long vmhwm, long liveOpen) {
        return ProbeResult.of(new ChildJvm.Result(0, false, 1, List.of("ds4j-probe.status=ok",
                "ds4j-probe.vmhwm=" + vmhwm, "ds4j-probe.live.open=" + liveOpen), List.of()));
    }
}
