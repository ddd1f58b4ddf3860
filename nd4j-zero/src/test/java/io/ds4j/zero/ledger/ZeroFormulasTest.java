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

    /**
     * The offload terms against DeepSpeed's estimators, worked by hand for fp32 Adam at Ψ = 4,000,708 (the bench's
     * wide network at 4M) on one node of N = 2 (shard 2,000,354), with {@code additional_buffer_factor} 1. The
     * estimators assume fp16 parameters (2 B); fp32 training holds 4 B of them, so their device term is doubled.
     */
    @Test
    void offloadTermsMatchDeepSpeedsEstimators() {
        long psi = 4_000_708;
        int n = 2;
        // estimate_zero2_model_states_mem_needs(cpu_offload=True): cpu_mem = Ψ x max(4 x 2, 16) = 16Ψ = 64,011,328
        // per node, 32,005,664 per rank (fp32 master 4, Adam 8, fp32 gradient partition 4); gpu_mem = 2Ψ, in fp32 4Ψ
        // = 16,002,832. Per rank 48,008,496.
        long zero2 = ZeroFormulas.perRank(2, TrainingPrecision.FP32, 2, psi, n).total()
                + ZeroFormulas.offloadMaster(2, TrainingPrecision.FP32, psi, n);
        assertEquals(48_008_496L, zero2);
        assertEquals(8_001_416L, ZeroFormulas.offloadMaster(2, TrainingPrecision.FP32, psi, n), "4 B x shard");
        // estimate_zero3_model_states_mem_needs(cpu_offload=True, cpu_offload_params=False, zero_init=True):
        // cpu_mem = 16Ψ per node = 32,005,664 per rank; gpu_mem = largest layer (a working buffer, not a model state)
        // + 2Ψ/N, in fp32 4Ψ/N = 8,001,416. Per rank 40,007,080.
        long zero3 = ZeroFormulas.perRank(3, TrainingPrecision.FP32, 2, psi, n).total()
                + ZeroFormulas.offloadMaster(3, TrainingPrecision.FP32, psi, n);
        assertEquals(40_007_080L, zero3);
        // with cpu_offload_params=True: cpu_mem = 18Ψ per node (16 + 2 B of fp16 parameters), in fp32 20Ψ per node,
        // 40,007,080 per rank: the same bytes as without, all on the host
        assertEquals(20L * psi / n, zero3);
        // stage 1 has no estimator of its own; its host side is stage 2's (master 4 + Adam 8 per shard element)
        assertEquals(8_001_416L, ZeroFormulas.offloadMaster(1, TrainingPrecision.FP32, psi, n));
        // no term where the formula has the master already (mixed precision's K = 12) or offload does nothing
        assertEquals(0, ZeroFormulas.offloadMaster(2, TrainingPrecision.MIXED_16, psi, n));
        assertEquals(0, ZeroFormulas.offloadMaster(0, TrainingPrecision.FP32, psi, n));
        // an odd Ψ: the shard rounds up, as perRank's does (Ψ 10, N 3: shard 4, 16 B)
        assertEquals(16, ZeroFormulas.offloadMaster(1, TrainingPrecision.FP32, 10, 3));
    }

    /** DeepSpeed's swappers: buffer_count pinned buffers of one swap unit each. */
    @Test
    void swapBuffersAreBufferCountSwapUnits() {
        // offload_optimizer nvme, buffer_count 4 (DeepSpeed's default), sub_group_size 1e6 on a 2,000,354-element
        // shard: the largest sub-group is 1e6 fp32 elements, 4 x 1e6 x 4 B = 16,000,000 B
        long largest = ZeroFormulas.largestSubGroup(4_000_708, 2, 1_000_000);
        assertEquals(1_000_000, largest);
        assertEquals(16_000_000L, ZeroFormulas.swapBuffers(4, largest, 4));
        // DeepSpeed's default sub_group_size 1e9 on a 500-element shard: the sub-group is the shard
        assertEquals(500, ZeroFormulas.largestSubGroup(1000, 2, 1_000_000_000));
        // offload_param nvme with DeepSpeed's defaults, buffer_count 5 and buffer_size 1e8, fp16: 1e9 B
        assertEquals(1_000_000_000L, ZeroFormulas.swapBuffers(5, 100_000_000, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroFormulas.largestSubGroup(10, 1, 0));
        assertEquals("zero_optimization.sub_group_size must be >= 1, got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ZeroFormulas.swapBuffers(-1, 10, 4));
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
