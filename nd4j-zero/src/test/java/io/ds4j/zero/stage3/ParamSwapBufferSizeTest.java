package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.ledger.MemoryLedger;
import org.junit.jupiter.api.Test;

/**
 * A parameter swap buffer's bytes stay below 2^31 whatever {@code buffer_size} is: with {@code buffer_size} 1e9 a
 * shard of 600M elements asked for a buffer of {@code 4 * 600M} bytes in int arithmetic, which wraps negative. The
 * tile is capped at {@link ParamSwapBuffers#MAX_TILE_ELEMENTS} and the shard is tiled. Nothing is allocated: only the
 * sizing is checked.
 */
class ParamSwapBufferSizeTest {
    @Test
    void aHugeShardIsTiledWithinOneDirectBuffer() {
        try (ParamSwapBuffers b = new ParamSwapBuffers(2, 1_000_000_000L, new MemoryLedger(0))) {
            b.register(600_000_000);
            assertTrue((long) Float.BYTES * b.tileElements() <= Integer.MAX_VALUE, "tile " + b.tileElements());
            assertEquals(ParamSwapBuffers.MAX_TILE_ELEMENTS, b.tileElements());
        }
    }

    @Test
    void smallShardsKeepTheirSize() {
        try (ParamSwapBuffers b = new ParamSwapBuffers(2, 1_000_000_000L, new MemoryLedger(0))) {
            b.register(1000);
            assertEquals(1000, b.tileElements());
        }
    }
}
