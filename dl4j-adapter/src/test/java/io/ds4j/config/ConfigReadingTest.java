package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.precision.Bf16Config;
import io.ds4j.precision.Fp16Config;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.config.ZeroConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a valid configuration reads as: DeepSpeed 0.19.6's code defaults, aliases, deprecated keys, "auto". */
class ConfigReadingTest {
    private static DeepSpeedConfig parse(String body) {
        return DeepSpeedConfig.parse("{\"train_batch_size\": 8" + (body.isEmpty() ? "" : ", " + body) + "}");
    }

    @Test
    void emptySectionsTakeDeepSpeedsCodeDefaults() {
        DeepSpeedConfig c = parse("");
        // runtime/constants.py: GRADIENT_CLIPPING_DEFAULT = 1.0 (the docs still say 0)
        assertEquals(1.0, c.gradientClipping());
        assertTrue(c.options().stepsPerPrint().isEmpty()); // STEPS_PER_PRINT_DEFAULT = None
        assertEquals(Fp16Config.defaults(), c.fp16());
        assertEquals(Bf16Config.defaults(), c.bf16());
        ZeroConfig d = ZeroConfig.defaults(0);
        assertEquals(d.stage(), c.zero().stage());
        assertEquals(d.buckets(), c.zero().buckets());
        assertEquals(d.stage3(), c.zero().stage3());
        assertEquals(d.offloadOptimizer(), c.zero().offloadOptimizer());
        assertEquals(d.offloadParam(), c.zero().offloadParam());
        assertEquals(Boolean.TRUE, c.zero().runtimeOptions().get("load_from_fp32_weights"));
        assertEquals(-1L, c.zero().runtimeOptions().get("mics_shard_size"));
        assertTrue(c.optimizer().isEmpty());
        assertTrue(c.scheduler().isEmpty());
        assertEquals(List.of(), c.warnings());
        // offload pin_memory defaults to True in offload_config.py
        assertTrue(OffloadOptimizerConfig.none().pinMemory());
    }

    @Test
    void overlapCommDefaultsToTrueOnlyAtStage3() {
        // zero/config.py overlap_comm_valid: None -> stage == 3
        assertFalse(parse("\"zero_optimization\": {\"stage\": 2}").zero().buckets().overlapComm());
        assertTrue(parse("\"zero_optimization\": {\"stage\": 3}").zero().buckets().overlapComm());
        assertFalse(parse("\"zero_optimization\": {\"stage\": 3, \"overlap_comm\": false}").zero().buckets()
                .overlapComm());
    }

    @Test
    void aliasesIntegralFloatsAndDeprecatedKeysMapToTheNewFields() {
        DeepSpeedConfig c = parse("\"zero_optimization\": {\"stage\": 3, \"stage3_prefetch_bucket_size\": 5e5, "
                + "\"stage3_max_live_parameters\": 2e9, \"cpu_offload\": true, "
                + "\"stage3_gather_fp16_weights_on_model_save\": true, \"reduce_bucket_size\": 1e6}");
        ZeroConfig z = c.zero();
        assertEquals(500_000L, z.stage3().prefetchBucketSize());
        assertEquals(2_000_000_000L, z.stage3().maxLiveParameters());
        assertEquals(1_000_000L, z.buckets().reduceBucketSize());
        assertTrue(z.stage3().gather16bitWeightsOnModelSave());
        assertEquals(OffloadDevice.CPU, z.offloadOptimizer().device());
        assertEquals(2, c.warnings().size(), c.warnings().toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> printed = (Map<String, Object>) c.toMap(1).get("zero_optimization");
        assertEquals(500_000L, printed.get("prefetch_bucket_size"));
        assertFalse(printed.containsKey("stage3_prefetch_bucket_size"));
        assertFalse(printed.containsKey("cpu_offload"));
    }

    @Test
    void autoInPydanticSectionsMeansTheDefaultAndIsRemembered() {
        DeepSpeedConfig c = parse("\"fp16\": {\"enabled\": \"auto\", \"loss_scale_window\": \"auto\"}, "
                + "\"zero_optimization\": {\"stage\": 3, \"reduce_bucket_size\": \"auto\", "
                + "\"stage3_param_persistence_threshold\": \"auto\"}, \"gradient_clipping\": \"auto\", "
                + "\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": \"auto\", \"betas\": \"auto\"}}");
        assertFalse(c.fp16().enabled());
        assertEquals(1000, c.fp16().lossScaleWindow());
        assertEquals(500_000_000L, c.zero().buckets().reduceBucketSize());
        assertEquals(100_000L, c.zero().stage3().paramPersistenceThreshold());
        assertEquals(Set.of("fp16.enabled", "fp16.loss_scale_window", "zero_optimization.reduce_bucket_size",
                "zero_optimization.stage3_param_persistence_threshold", "gradient_clipping", "optimizer.params.lr",
                "optimizer.params.betas"), c.autoPaths());
        assertEquals("auto", c.optimizer().orElseThrow().params().get("lr"));
        assertEquals("auto", c.toMap(1).get("gradient_clipping"));
    }

    @Test
    void legacyBfloat16AndBooleanZeroAreRead() {
        DeepSpeedConfig c = parse("\"bfloat16\": {\"enabled\": true}, \"zero_optimization\": true, "
                + "\"allgather_size\": 1e7");
        assertTrue(c.bf16().enabled());
        assertEquals(1, c.zero().stage());
        assertEquals(10_000_000L, c.zero().buckets().allgatherBucketSize());
        assertEquals(2, c.warnings().size(), c.warnings().toString());
    }

    @Test
    void optimizerParamsKeepTheirJsonTypesAndOrder() {
        DeepSpeedConfig c = parse("\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 1e-3, "
                + "\"betas\": [0.9, 0.999], \"eps\": 1e-8, \"weight_decay\": 0, \"bias_correction\": false}}");
        OptimizerSection o = c.optimizer().orElseThrow();
        assertEquals("Adam", o.type());
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "bias_correction"), List.copyOf(
                o.params().keySet()));
        assertEquals(1e-3, o.params().get("lr"));
        assertEquals(0L, o.params().get("weight_decay"));
        assertEquals(List.of(0.9, 0.999), o.params().get("betas"));
        assertEquals(Boolean.FALSE, o.params().get("bias_correction"));
    }

    @Test
    void noOptimizerIsValidAtEveryStage() {
        for (int stage = 0; stage <= 3; stage++) {
            assertTrue(parse("\"zero_optimization\": {\"stage\": " + stage + "}").optimizer().isEmpty());
        }
        // SGD under ZeRO is fine once zero_allow_untested_optimizer is set (DeepSpeed's rule).
        assertEquals("SGD", parse("\"zero_allow_untested_optimizer\": true, \"zero_optimization\": {\"stage\": 2}, "
                + "\"optimizer\": {\"type\": \"SGD\", \"params\": {\"lr\": 0.1}}").optimizer().orElseThrow().type());
    }

    @Test
    void commentsAreSkippedAsHjsonDoes() {
        // DeepSpeed loads files with hjson, which accepts comments
        DeepSpeedConfig c = DeepSpeedConfig.parse("{\n  // samples per step\n  \"train_batch_size\": 8, /* ranks */\n"
                + "  # yaml style\n  \"zero_optimization\": {\"stage\": 1}\n}");
        assertEquals(1, c.zero().stage());
        assertEquals(ResolvedBatch.of(8, 8, 1, 1), c.resolve(1));
    }

    @Test
    void sectionsWithoutTypeAreIgnoredWithAWarningAsInDeepSpeed() {
        // get_optimizer_name / get_scheduler_name: no "type" -> None -> no config optimizer or schedule
        DeepSpeedConfig c = parse("\"optimizer\": {\"params\": {\"lr\": 0.1}}, \"scheduler\": {\"params\": {}}");
        assertTrue(c.optimizer().isEmpty());
        assertTrue(c.scheduler().isEmpty());
        assertEquals(List.of("optimizer", "scheduler"),
                c.warnings().stream().map(w -> w.substring(0, w.indexOf(':'))).toList());
    }

    @Test
    void observingSectionsAndUnknownKeysWarnOnceEach() {
        DeepSpeedConfig c = parse("\"flops_profiler\": {\"enabled\": true}, \"wandb\": {\"enabled\": true}, "
                + "\"my_key\": 1, \"nebula\": {}, \"amp\": {\"enabled\": false}");
        // gated sections first, in file order, then unknown keys
        assertEquals(List.of("flops_profiler", "wandb", "nebula", "my_key"),
                c.warnings().stream().map(w -> w.substring(0, w.indexOf(':'))).toList());
        assertEquals(Map.of("enabled", false), c.toMap(1).get("amp"));
    }

    @Test
    void offloadAtStageZeroIsIgnoredWithAWarningAsDeepSpeedIgnoresIt() {
        DeepSpeedConfig c = parse("\"zero_optimization\": {\"stage\": 0, \"offload_optimizer\": {\"device\": "
                + "\"cpu\"}}");
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).startsWith("zero_optimization.offload_optimizer:"), c.warnings().get(0));
    }
}
