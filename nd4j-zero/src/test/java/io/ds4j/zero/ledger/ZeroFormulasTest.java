package io.ds4j.zero.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link ZeroFormulas} against numbers derived by hand from the ZeRO paper. */
class ZeroFormulasTest {
    @Test
    void reproducesTheZeroPaperFigureOne() {
        // Figure 1 of the ZeRO paper: Psi = 7.5B, N = 64, K = 12 (mixed-precision Adam).
        long psi = 7_500_000_000L;
        int n = 64;
        int w = ZeroFormulas.stateWords("Adam", false);
        assertEquals(12, ZeroFormulas.k(TrainingPrecision.MIXED_16, w));
        // baseline (2 + 2 + 12) * 7.5e9 = 120 GB
        assertEquals(120_000_000_000L, ZeroFormulas.perRank(0, TrainingPrecision.MIXED_16, w, psi, n).total());
        // P_os: 4 * 7.5e9 + 12 * 7.5e9 / 64 = 30e9 + 1.40625e9 = 31.4 GB
        assertEquals(31_406_250_000L, ZeroFormulas.perRank(1, TrainingPrecision.MIXED_16, w, psi, n).total());
        // P_os+g: 2 * 7.5e9 + 14 * 7.5e9 / 64 = 15e9 + 1.640625e9 = 16.6 GB
        assertEquals(16_640_625_000L, ZeroFormulas.perRank(2, TrainingPrecision.MIXED_16, w, psi, n).total());
        // P_os+g+p: 16 * 7.5e9 / 64 = 1.875 GB ("1.9 GB")
        assertEquals(1_875_000_000L, ZeroFormulas.perRank(3, TrainingPrecision.MIXED_16, w, psi, n).total());
    }

    @Test
    void splitsCategoriesAndRoundsShardsUp() {
        // fp32 Adam, Psi = 10, N = 3: shard = ceil(10/3) = 4. Stage 2: params 4*10, grads 4*4, states 8*4, no master.
        ModelStateBytes b = ZeroFormulas.perRank(2, TrainingPrecision.FP32, 2, 10, 3);
        assertEquals(new ModelStateBytes(40, 16, 32, 0), b);
        // mixed SGD without momentum, stage 1, N = 2, Psi = 5: shard 3; params 2*5, grads 2*5, states 0, master 4*3
        assertEquals(new ModelStateBytes(10, 10, 0, 12),
                ZeroFormulas.perRank(1, TrainingPrecision.MIXED_16, ZeroFormulas.stateWords("sgd", false), 5, 2));
        assertEquals("2Ψ + (2 + 12)Ψ/N", ZeroFormulas.formula(2, TrainingPrecision.MIXED_16, 2));
        assertEquals("(4 + 4 + 8)Ψ", ZeroFormulas.formula(0, TrainingPrecision.FP32, 2));
        assertEquals(1, ZeroFormulas.stateWords("Lion", false));
        assertEquals(1, ZeroFormulas.stateWords("Adagrad", false));
        assertEquals(2, ZeroFormulas.stateWords("Lamb", false));
    }

    @Test
    void rejectsBadInputNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroFormulas.perRank(4, TrainingPrecision.FP32, 2, 10, 1));
        assertEquals("zero_optimization.stage must be 0, 1, 2 or 3, got 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ZeroFormulas.stateWords("RMSprop", false));
        assertThrows(IllegalArgumentException.class, () -> ZeroFormulas.perRank(1, TrainingPrecision.FP32, 2, 1, 0));
    }
}
