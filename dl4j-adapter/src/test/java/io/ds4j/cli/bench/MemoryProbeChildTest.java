package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ProbeSetup.Mode;
import io.ds4j.cli.bench.ProbeSetup.Offload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real child JVMs, CI-sized (about 20k parameters, one step): the probe reports what the parent reads, and a child
 * that runs out of its memory limit is a failure that says so. No timing is asserted.
 */
class MemoryProbeChildTest {
    @TempDir
    Path dir;

    private static final ChildJvm JVM = new ChildJvm(List.of("-Xmx512m"), 300);

    @Test
    void aZeroTwoNvmeChildReportsItsPeaksAndLedger() throws Exception {
        ProbeSetup s = new ProbeSetup(Mode.ZERO, 2, Offload.NVME, Offload.NONE, new ProbeSetup.Size(20_000, 2, 1),
                null);
        ProbeResult r = MemoryBench.withNvmeFolder(dir, s, JVM.launcher(MemoryProbe.class));
        assertTrue(r.ok(), r.error() + " " + r.values());
        assertTrue(r.bytes("vmhwm") > 0, "VmHWM is read");
        assertTrue(r.bytes("vmhwm") >= r.bytes("rss_end"), "the peak is at least the last RSS");
        assertTrue(r.bytes("ledger.peak") > 0);
        assertTrue(r.bytes("ledger.tier.DISK") > 0, "nvme offload puts bytes on the disk tier");
        assertEquals(io.ds4j.cli.train.WideDigitsModel.params(9, io.ds4j.cli.train.WideDigitsModel.widthFor(20_000)),
                r.bytes("psi"));
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the nvme folder is deleted after the child");
        }
    }

    @Test
    void aChildOverItsPhysicalLimitIsAnOutOfMemoryFailure() throws Exception {
        // 8 MiB of resident memory cannot even hold the JVM: JavaCPP's first allocation refuses
        ChildJvm tight = new ChildJvm(List.of("-Xmx512m", "-Dorg.bytedeco.javacpp.maxphysicalbytes=8m",
                ChildJvm.crashDumpsInto(dir)), 300);
        ProbeSetup s = new ProbeSetup(Mode.FIT, 0, Offload.NONE, Offload.NONE, new ProbeSetup.Size(20_000, 1, 1),
                null);
        ProbeResult r = ProbeResult.of(tight.run(MemoryProbe.class, s.toArgs()));
        assertFalse(r.ok());
        assertTrue(r.outOfMemory(), r.error());
    }

    @Test
    void aChildThatDiesWithoutReportingIsAFailureWithItsStatus() throws Exception {
        ProbeResult r = ProbeResult.of(JVM.run(MemoryProbe.class, List.of("mode=nonsense")));
        assertFalse(r.ok());
        assertTrue(r.error().startsWith("child exited with status 2: error: "), r.error());
    }
}
