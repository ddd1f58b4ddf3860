package io.ds4j.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link BufferCollectives#allGatherShared}: ranks that share one output write their own blocks, and when the call
 * returns every block is there on every rank; it counts as the all-gather it stands for, and ranks that disagree on
 * the length (or call another collective) fail as for any collective.
 */
class AllGatherSharedTest {

    @Test
    void everyRankSeesEveryBlockAndTheCallCountsAsAnAllGather() {
        int world = 3;
        int length = 1000;
        float[] shared = new float[world * length];
        List<InProcessCollectives> group = InProcessCollectives.create(world, Duration.ofMinutes(1));
        List<float[]> seen = Ranks.run(group, c -> {
            for (int i = 0; i < length; i++) {
                shared[c.rank() * length + i] = c.rank() * 10_000 + i;
            }
            ((BufferCollectives) c).allGatherShared(length);
            return shared.clone();
        });
        float[] expected = new float[world * length];
        for (int r = 0; r < world; r++) {
            for (int i = 0; i < length; i++) {
                expected[r * length + i] = r * 10_000 + i;
            }
        }
        for (int r = 0; r < world; r++) {
            assertArrayEquals(expected, seen.get(r), "rank " + r + " after the call");
            CommStats.Counter gathers = group.get(r).stats().of(CollectiveKind.ALL_GATHER);
            assertEquals(1, gathers.calls());
            assertEquals((long) (world - 1) * length, gathers.elements(), "the blocks it received");
        }
    }

    @Test
    void ranksThatDisagreeOnTheLengthFail() {
        List<InProcessCollectives> group = InProcessCollectives.create(2, Duration.ofMinutes(1));
        RuntimeException e = assertThrows(RuntimeException.class, () -> Ranks.run(group, c -> {
            ((BufferCollectives) c).allGatherShared(c.rank() == 0 ? 4 : 5);
            return null;
        }));
        String text = String.valueOf(e.getMessage()) + e.getCause();
        assertTrue(text.contains("different collectives"), text);
    }
}
