package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ProbeSetup.Offload;
import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZeRO-3 with ranks as processes, measured in each rank's own JVM ({@code bench memory --processes}, which covers this
 * test at 16M parameters; tagged heavy: three child JVMs train a 4M-parameter network). What a rank's trainer holds
 * is read by the JVM with the trainer open after training minus right after it closed, after full collections.
 *
 * <p>The bound, and why: with DeepSpeed's Adam section the fused kernel keeps each rank's Adam moments (m and v, 4 B
 * each) of its owned elements in Java arrays, so the live Java heap the trainer holds is {@code 8 x owned} plus the
 * rank's pool of transient buffers, kept from step to step (one gathered layer, one gradient tensor and its shard:
 * about 5 MB at 4M; the allowance is {@code 8 B x sub_group_size}, 1e6 in the probe, what the kernel's sub-group
 * staging took before it stepped the masters in place) plus a few objects (layers, configurations; 2 MiB allowed). A rank owns its part of the padded even split of every tensor: at least
 * {@code Ψ/N - tensors} elements and at most {@code Ψ/N + tensors}. Measured, not computed: the heap reading would
 * not shrink as 1/N if each process kept all of Adam's state. The resident bytes outside the heap (parameter and
 * gradient shards, the compute scratch, UCX) must shrink from 1 to 2 processes too; they do not halve (a part of
 * them does not depend on N; see the bench's table in site/docs/multi-process.md), so only the decrease is asserted.
 */
@Tag("heavy")
class ProcessMemoryTest {
    private static final long SUB_GROUP = 1_000_000;
    private static final long SLACK = 2L << 20;
    private static final long TENSORS = 20; // 10 dense layers, a weight and a bias each

    @TempDir
    Path dir;

    @Test
    void eachRankProcessHoldsOneNthOfAdamsStateAndLessInAll() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        ProcessMemoryBench.Plan plan = ProcessMemoryBench.plan(List.of("--processes", "1,2", "--params", "4000000",
                "--steps", "2", "--out", dir.toString()));
        ProcessMemoryReport report = ProcessMemoryBench.measure(plan, new ChildJvm(List.of("-Xmx1g"), 600),
                new PrintStream(new ByteArrayOutputStream()));
        assertTrue(report.allOk(), report.table());
        long psi = plan.psi();
        for (ProcessMemoryReport.Row row : report.rows()) {
            int n = row.processes();
            assertEquals(n, row.children().size());
            for (ProbeResult child : row.children()) {
                long heap = child.bytes("held.heap");
                long low = 8 * (psi / n - TENSORS);
                long high = 8 * (psi / n + TENSORS) + 8 * SUB_GROUP + SLACK;
                assertTrue(heap >= low && heap <= high, "N " + n + ": heap held " + heap + " B, expected "
                        + low + ".." + high + " B (8 x Ψ/N, Ψ " + psi + ")\n" + report.table());
            }
        }
        ProcessMemoryReport.Row one = report.rows().get(0);
        ProcessMemoryReport.Row two = report.rows().get(1);
        assertTrue(two.largest("held.native") < one.largest("held.native"), "resident bytes outside the heap shrink"
                + " from 1 to 2 processes\n" + report.table());
        assertTrue(two.trainerHeld() < one.trainerHeld(), report.table());
        System.out.println(report.table());
    }
}
