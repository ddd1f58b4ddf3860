package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/** A bad {@code nvme_path} is refused before training, naming the key, the value and the fix, and leaves nothing. */
class NvmePathTest {
    private static final String KEY = "zero_optimization.offload_optimizer.nvme_path";

    @TempDir
    Path tmp;

    private IllegalArgumentException refused(String path, FreeSpaceProbe probe) {
        OffloadOptimizerConfig c = new OffloadOptimizerConfig(OffloadDevice.NVME, path, 4, true, false, false, false,
                1.0, false, 0.8);
        MemoryLedger ledger = new MemoryLedger(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerStores.open(c,
                new StoreRequest(0, 1000, 2, 100, ledger), HostMemory.HEAP, probe));
        assertTrue(e.getMessage().startsWith(KEY + ": "), e.getMessage());
        assertEquals(0, ledger.snapshot().tierPeakBytes(MemoryTier.DISK), "nothing recorded for a refused path");
        return e;
    }

    private static void assertContains(IllegalArgumentException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void missingDirectory() {
        String p = tmp.resolve("no-such-dir").toString();
        assertContains(refused(p, FreeSpaceProbe.fileStore()), "'" + p + "'", "does not exist", "create");
    }

    @Test
    void fileInsteadOfDirectory() throws IOException {
        Path f = Files.writeString(tmp.resolve("a-file"), "x");
        assertContains(refused(f.toString(), FreeSpaceProbe.fileStore()), "'" + f + "'", "not a directory");
    }

    @Test
    void unsetPath() {
        assertContains(refused(null, FreeSpaceProbe.fileStore()), "not set", "set nvme_path");
        assertContains(refused("  ", FreeSpaceProbe.fileStore()), "not set");
    }

    /**
     * Too small: Adam (2 state vectors) on 1000 elements needs (1 + 2) * 4 * 1000 bytes of vectors plus a 32-byte
     * header for each of the 10 sub-groups = 12320 bytes; a probe reporting one byte less is refused.
     */
    @Test
    void tooLittleFreeSpace() throws IOException {
        long needed = 3 * 4 * 1000 + 32 * 10;
        assertContains(refused(tmp.toString(), dir -> needed - 1), "'" + tmp + "'", (needed - 1) + " bytes free",
                "needs " + needed + " bytes", "free space");
        try (OptimizerStateStore ok = OptimizerStores.open(new OffloadOptimizerConfig(OffloadDevice.NVME,
                tmp.toString(), 4, true, false, false, false, 1.0, false, 0.8),
                new StoreRequest(0, 1000, 2, 100, new MemoryLedger(0)), HostMemory.HEAP, dir -> needed)) {
            assertEquals(1000, ok.length(), "exactly enough space is accepted");
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void unwritableDirectory() throws IOException {
        Path ro = Files.createDirectory(tmp.resolve("read-only"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "running as root: permissions are not enforced");
            assertContains(refused(ro.toString(), FreeSpaceProbe.fileStore()), "'" + ro + "'", "not writable",
                    "permissions");
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** Root may write anywhere it has permission bits for, but no file can be created in /proc: still refused. */
    @Test
    void directoryWhereNoFileCanBeCreated() {
        Path proc = Path.of("/proc");
        assumeTrue(Files.isDirectory(proc) && Files.isWritable(proc), "needs Linux /proc, seen as writable (root)");
        assertContains(refused(proc.toString(), dir -> Long.MAX_VALUE), "'/proc'", "not writable");
    }
}
