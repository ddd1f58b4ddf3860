package io.ds4j.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The records hold DeepSpeed 0.19.6's defaults (zero/config.py, zero/offload_config.py) and its ranges. */
class ZeroConfigTest {

    @Test
    void defaultsAreDeepSpeeds() {
        ZeroConfig z = ZeroConfig.defaults(0);
        assertEquals(0, z.stage());
        assertFalse(z.enabled());
        // reduce_bucket_size = allgather_bucket_size = 5e8, contiguous_gradients/reduce_scatter True
        assertEquals(new ZeroBucketConfig(true, true, 500_000_000L, true, true, 500_000_000L, false), z.buckets());
        // prefetch 5e7, param persistence 1e5, model persistence sys.maxsize, live/reuse 1e9, sub_group 1e9
        ZeroStage3Config s3 = z.stage3();
        assertEquals(50_000_000L, s3.prefetchBucketSize());
        assertEquals(100_000L, s3.paramPersistenceThreshold());
        assertEquals(Long.MAX_VALUE, s3.modelPersistenceThreshold());
        assertEquals(1_000_000_000L, s3.maxLiveParameters());
        assertEquals(1_000_000_000L, s3.maxReuseDistance());
        assertEquals(1_000_000_000L, s3.subGroupSize());
        // offload: optimizer buffer_count 4, param buffer_count 5, buffer_size 1e8, max_in_cpu 1e9, pin_memory True
        assertEquals(4, z.offloadOptimizer().bufferCount());
        assertTrue(z.offloadOptimizer().pinMemory());
        assertEquals(1.0, z.offloadOptimizer().ratio());
        assertEquals(0.8, z.offloadOptimizer().cpuadamCoresPerc());
        assertEquals(new OffloadParamConfig(OffloadDevice.NONE, null, 5, 100_000_000L, 1_000_000_000L, true),
                z.offloadParam());
        assertTrue(ZeroConfig.defaults(3).buckets().overlapComm());
    }

    @Test
    void rangesAreEnforcedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroConfig.defaults(4));
        assertTrue(e.getMessage().startsWith("stage"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ZeroBucketConfig(true, true, -1, true,
                true, 1, false)).getMessage().startsWith("reduce_bucket_size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new OffloadOptimizerConfig(OffloadDevice.CPU,
                null, 4, true, false, false, false, 1.5, false, 0.8)).getMessage()
                .startsWith("offload_optimizer.ratio"));
    }

    @Test
    void optimizerRecordsCheckTheirRanges() {
        // FusedAdam defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, adam_w_mode True, bias_correction True
        assertEquals(new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 0.0, true, true), AdamConfig.defaults());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdamConfig(1e-3, 0.9, 1.0, 1e-8, 0, true,
                true)).getMessage().startsWith("optimizer.params.betas[1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SgdConfig(0.1, 0.0, 0.0, 0.0, true))
                .getMessage().startsWith("optimizer.params.nesterov"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LionConfig(-1, 0.9, 0.99, 0))
                .getMessage().startsWith("optimizer.params.lr"));
        // FusedLamb max_coeff 10, min_coeff 0.01; torch Adagrad lr 1e-2, eps 1e-10
        assertEquals(10.0, LambConfig.defaults().maxCoeff());
        assertEquals(1e-10, AdagradConfig.defaults().eps());
    }

    @Test
    void paramOffloadCountsAtStageThreeOnly() {
        ZeroConfig two = new ZeroConfig(2, ZeroBucketConfig.defaults(2), ZeroStage3Config.defaults(),
                OffloadOptimizerConfig.onDevice(OffloadDevice.CPU), OffloadParamConfig.onDevice(OffloadDevice.CPU),
                Map.of());
        assertTrue(two.offloadsOptimizer());
        assertFalse(two.offloadsParams());
        ZeroConfig three = new ZeroConfig(3, ZeroBucketConfig.defaults(3), ZeroStage3Config.defaults(),
                OffloadOptimizerConfig.none(), OffloadParamConfig.onDevice(OffloadDevice.NVME), Map.of());
        assertTrue(three.offloadsParams());
        assertFalse(three.offloadsOptimizer());
    }
}
