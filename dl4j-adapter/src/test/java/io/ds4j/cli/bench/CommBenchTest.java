package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.UsageException;
import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j bench comm} at tiny sizes: the table, CSV and PNG have one row per collective and size, every
 * contender that can run here has a bandwidth in it, and bad options are named. No timing is asserted.
 */
class CommBenchTest {
    @TempDir
    Path dir;

    @Test
    void tinyRunWritesOneRowPerCollectiveAndSize() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = CommBench.run(List.of("--sizes", "4k,64k", "--rounds", "1", "--iterations", "2", "--out",
                dir.toString()), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, log);
        List<String> csv = Files.readAllLines(dir.resolve("bench-comm.csv"));
        assertEquals("collective,bytes,threads_busbw_gbps,ucx_float_busbw_gbps,ucx_indarray_busbw_gbps,"
                + "perftest_tag_gbps,ucx_float_over_perftest,ucx_indarray_over_perftest,perftest_ranks_env_tag_gbps,"
                + "ucx_indarray_over_perftest_ranks_env", csv.get(0));
        assertEquals(7, csv.size(), "3 collectives x 2 sizes");
        boolean ucx = UcxLibrary.available();
        boolean perftest = !log.contains("ucx_perftest not found");
        int row = 1;
        for (String collective : List.of("all-reduce", "reduce-scatter", "all-gather")) {
            for (String bytes : List.of("4096", "65536")) {
                String[] f = csv.get(row++).split(",", -1);
                assertEquals(10, f.length, String.join(",", f));
                assertEquals(collective, f[0]);
                assertEquals(bytes, f[1]);
                assertTrue(Double.parseDouble(f[2]) > 0, "threads measured: " + String.join(",", f));
                assertEquals(ucx, !f[3].isEmpty() && Double.parseDouble(f[3]) > 0, "UCX float[]: " + f[3]);
                assertEquals(ucx, !f[4].isEmpty() && Double.parseDouble(f[4]) > 0, "UCX INDArray: " + f[4]);
                assertEquals(perftest, !f[5].isEmpty() && Double.parseDouble(f[5]) > 0, "ucx_perftest: " + f[5]);
                assertEquals(ucx && perftest, !f[7].isEmpty(), "the ratio is there when both are");
                assertEquals(perftest, !f[8].isEmpty() && Double.parseDouble(f[8]) > 0, "ranks' env: " + f[8]);
                assertEquals(ucx && perftest, !f[9].isEmpty(), "the ratio to it is there when both are");
            }
        }
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("| all-gather | 64 KiB |"), table);
        assertTrue(table.contains("load average (1 min)"), table);
        assertTrue(table.contains("UCX rank processes with GLIBC_TUNABLES=") && table.contains("ranks' env"), "the"
                + " transparent huge pages the ranks get are named, and ucx_perftest is run with them too: " + table);
        if (ucx) { // where the UCX all-reduce's time goes, with jucx's own tag stream measured beside ucx_perftest
            assertTrue(table.contains("| INDArray | 64 KiB |"), table);
            String profile = table.lines().filter(l -> l.startsWith("| INDArray | 64 KiB |")).findFirst()
                    .orElseThrow();
            assertTrue(Double.parseDouble(profile.split("\\|")[10].trim()) > 0, "jucx tag stream: " + profile);
            assertTrue(Double.parseDouble(profile.split("\\|")[13].trim()) > 0, "ms per all-reduce: " + profile);
            assertTrue(Double.parseDouble(profile.split("\\|")[14].trim()) > 0, "CPU ms per all-reduce: " + profile);
            assertTrue(Long.parseLong(profile.split("\\|")[15].trim()) >= 0, "the JIT's compile time during the timed"
                    + " runs: " + profile);
            assertTrue(table.contains("UCX staging (DS4J_UCX_STAGING) held at the end: at most ") && table.contains(
                    " MiB per rank process, budget 16 MiB"), "the staging the UCX processes held: " + table);
        }
        assertEquals(table, Files.readString(dir.resolve("bench-comm.txt")));
        assertTrue(ImageIO.read(dir.resolve("bench-comm.png").toFile()).getWidth() >= 1200, "three charts side by"
                + " side");
        assertFalse(log.contains("failed"), log);
    }

    @Test
    void badSizesAreNamed() {
        assertTrue(assertThrows(UsageException.class, () -> CommBench.parse(List.of("--sizes", "1M,12")))
                .getMessage().contains("12 bytes is not a whole number of floats per rank"));
        assertTrue(assertThrows(UsageException.class, () -> CommBench.parse(List.of("--sizes", "2G")))
                .getMessage().contains("'2G'"));
        assertEquals(List.of(1L << 20, 256L << 20), CommBench.parse(List.of("--sizes", "1M,256m")).sizes());
    }
}
