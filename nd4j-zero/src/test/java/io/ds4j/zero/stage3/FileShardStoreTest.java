package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nvme parameter shard file and the checks of {@code zero_optimization.offload_param.nvme_path}. */
class FileShardStoreTest {
    @TempDir
    Path base;

    @Test
    void roundTripsExactFloatsLeavesNoTmpAndDeletesAtClose() {
        MemoryLedger ledger = new MemoryLedger(1);
        Path dir = ParamNvmePath.createRankDirectory(base.toString(), 1, 1024, d -> 1L << 30);
        assertTrue(dir.getFileName().toString().startsWith("ds4j-param-rank1-"), dir.toString());
        FileShardStore s = new FileShardStore(dir, "p.f32", 5, ledger);
        float[] zero = new float[5];
        s.read(zero);
        assertArrayEquals(new float[5], zero, "a new store holds zeros");
        float[] v = {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 0.1f};
        s.write(v);
        float[] back = new float[5];
        s.read(back);
        assertArrayEquals(v, back, "bit-exact round trip");
        assertEquals(20, s.file().toFile().length(), "5 floats, no header");
        assertFalse(Files.exists(dir.resolve("p.f32.tmp")), "the .tmp was renamed over the file");
        assertEquals(20, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DISK));
        s.close();
        assertFalse(Files.exists(s.file()));
        assertEquals(0, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DISK));
        ParamNvmePath.delete(dir);
        assertFalse(Files.exists(dir));
    }

    @Test
    void badPathsAreRefusedNamingTheKeyAndTheFix() {
        String key = "zero_optimization.offload_param.nvme_path";
        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(null, 0, 1, d -> 1L << 30));
        assertTrue(unset.getMessage().startsWith(key + ": not set"), unset.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(base.resolve("nope").toString(), 0, 1, d -> 1L << 30));
        assertTrue(absent.getMessage().startsWith(key + ": '") && absent.getMessage().contains("does not exist"),
                absent.getMessage());
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(base.toString(), 2, 4096, d -> 100));
        assertTrue(full.getMessage().contains("has 100 bytes free but rank 2's parameter shards need 4096"),
                full.getMessage());
    }
}
