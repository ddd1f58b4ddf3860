package io.ds4j.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The bench runs end to end on a small vector and reports every line the CLI promises (no timing asserted). */
class OptimizerBenchTest {
    @Test
    void reportsBandwidthKernelsAndTheAdamRatio() {
        OptimizerBench.Report r = OptimizerBench.run(100_000, 2, 0, 1);
        assertEquals(3, r.bandwidth().size());
        assertEquals(28, r.readModifyWrite().bytesPerElement());
        assertEquals(5, r.fused().size());
        assertTrue(r.fusedAdam().name().contains("Adam"));
        for (Throughput t : r.fused()) {
            assertTrue(t.seconds() > 0 && t.elements() == 100_000, t.toString());
        }
        List<String> lines = r.lines();
        assertTrue(lines.stream().anyMatch(l -> l.matches("Adam: fused \\d+\\.\\dx ND4J's Adam step .*")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.contains("% of the measured read-modify-write bandwidth")));
        assertEquals(r.fusedAdam().elementsPerSecond() / r.nd4jAdam().elementsPerSecond(), r.adamSpeedup(), 1e-9);
    }

    @Test
    void throughputArithmetic() {
        Throughput t = new Throughput("x", 28, 1_000_000_000L, 2.0);
        assertEquals(5e8, t.elementsPerSecond(), 0);
        assertEquals(14.0, t.gigabytesPerSecond(), 1e-12); // 5e8 elem/s * 28 B = 14 GB/s
    }
}
