package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.ledger.MemoryLedger;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The bound on live (gathered, non-persistent) elements derived from the knobs, with
 * {@code stage3_max_reuse_distance = 0}:
 * a fetch of what the module needs adds at most the largest module; a prefetch runs only while fewer than
 * {@code max_live} elements are live and stops as soon as its budget is reached, overshooting by less than one
 * parameter. So live never exceeds {@code largest module + max_live + largest parameter}, and with prefetch off it
 * never exceeds the largest module (everything is released after use).
 */
class LiveBoundPropertiesTest {
    @Property(tries = 200)
    void liveParametersStayWithinTheDerivedBound(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 60) Integer> moduleSizes,
            @ForAll @IntRange(min = 0, max = 100) int bucket, @ForAll @IntRange(min = 0, max = 120) int maxLive) {
        int[][] sizes = new int[moduleSizes.size()][];
        for (int i = 0; i < sizes.length; i++) {
            int n = moduleSizes.get(i);
            sizes[i] = n > 1 ? new int[] {n - n / 3, n / 3} : new int[] {n};
        }
        Collectives c = InProcessCollectives.create(1, Duration.ofSeconds(30)).get(0);
        ToyModel m = new ToyModel(sizes, c, new MemoryLedger(0));
        ParamCoordinator pc = m.coordinator(c, ToyModel.knobs(bucket, 0, maxLive, 0));
        for (int step = 0; step < 2; step++) {
            for (ModuleParams mod : m.trace) {
                pc.fetch(mod.id());
                pc.release(mod.id());
            }
            pc.endStep();
        }
        long bound = bucket == 0 ? m.largestModule() : m.largestModule() + maxLive + m.largestParam();
        assertTrue(pc.peakLiveParameters() <= bound, "peak " + pc.peakLiveParameters() + " > bound " + bound);
    }
}
