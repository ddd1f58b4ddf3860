package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.ledger.MemoryLedger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A swap slot's bytes ({@code vectors * sub-group * 4}) are counted in long: with Adam (3 vectors) and the default
 * {@code sub_group_size} of 1e9, a rank owning 200M elements has a 2.4 GB sub-group, which wrapped to a negative int
 * and failed inside {@code ByteBuffer.allocateDirect}. It is refused before anything is created, naming the key and
 * the largest value that works. Nothing of that size is allocated (the free-space probe is mocked).
 */
class SwapSlotSizeTest {
    @TempDir
    Path nvme;

    @Test
    void aSubGroupLargerThanOneBufferIsRefusedByKey() throws Exception {
        StoreRequest r = new StoreRequest(0, 200_000_000L, 2, 1_000_000_000L, new MemoryLedger(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NvmeStore.open(r,
                new NvmeSettings(nvme.toString(), 4, false, false, dir -> Long.MAX_VALUE)));
        assertTrue(e.getMessage().startsWith("zero_optimization.sub_group_size: "), e.getMessage());
        assertTrue(e.getMessage().contains("2400000000 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("sub_group_size <= 178956969"), e.getMessage());
        try (var files = Files.list(nvme)) {
            assertEquals(0, files.count(), "refused before the rank's directory is made");
        }
    }

    @Test
    void theLargestSubGroupThatFitsIsAccepted() {
        NvmeStore.checkSlotFits(3, 178_956_969L);
        assertThrows(IllegalArgumentException.class, () -> NvmeStore.checkSlotFits(3, 178_956_970L));
    }
}
