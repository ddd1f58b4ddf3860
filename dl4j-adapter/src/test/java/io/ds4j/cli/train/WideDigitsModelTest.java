package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;

/** The width-for-a-parameter-count arithmetic of the benches' network, checked against DL4J's own count. */
class WideDigitsModelTest {
    @Test
    void paramsCountsWhatDl4jBuilds() {
        for (int width : new int[] {1, 7, 48}) {
            long built = WideDigitsModel.build(new Adam(1e-3), 1, width).numParams();
            assertEquals(built, WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, width), "width " + width);
        }
        // the documented size of --model wide
        assertEquals(5_186_410, WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, WideDigitsModel.WIDTH));
    }

    @Test
    void widthForIsTheSmallestWidthReachingTheTarget() {
        for (long target : new long[] {1, 1000, 20_000, 1_000_000, 5_186_410, 5_186_411, 64_000_000}) {
            int w = WideDigitsModel.widthFor(target);
            assertTrue(WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, w) >= target, "reaches " + target);
            assertTrue(w == 1 || WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, w - 1) < target,
                    "smallest for " + target);
        }
        assertEquals(WideDigitsModel.WIDTH, WideDigitsModel.widthFor(5_186_410));
        assertThrows(IllegalArgumentException.class, () -> WideDigitsModel.widthFor(0));
    }
}
