package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code validate}'s output, read again, is the same configuration (here with non-default values everywhere). */
class RoundTripTest {
    private static final String NON_DEFAULT = "{"
            + "\"train_micro_batch_size_per_gpu\": 4, \"gradient_accumulation_steps\": 3,"
            + "\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 3e-4, \"betas\": [0.8, 0.99], "
            + "  \"eps\": 1e-6, \"weight_decay\": 0.05, \"torch_adam\": true}},"
            + "\"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\": {\"warmup_min_lr\": 1e-6, "
            + "  \"warmup_max_lr\": 3e-4, \"warmup_num_steps\": 50, \"total_num_steps\": 500}},"
            + "\"fp16\": {\"enabled\": true, \"loss_scale\": 0, \"initial_scale_power\": 12, "
            + "  \"loss_scale_window\": 500, \"hysteresis\": 3, \"consecutive_hysteresis\": true, "
            + "  \"min_loss_scale\": 2, \"fp16_master_weights_and_grads\": true},"
            + "\"zero_optimization\": {\"stage\": 3, \"contiguous_gradients\": false, \"reduce_scatter\": false,"
            + "  \"reduce_bucket_size\": 1e6, \"allgather_bucket_size\": 2e6, \"overlap_comm\": false,"
            + "  \"offload_optimizer\": {\"device\": \"nvme\", \"nvme_path\": \"/tmp/nvme\", \"buffer_count\": 8,"
            + "    \"pin_memory\": false, \"pipeline_read\": true, \"ratio\": 0.5},"
            + "  \"offload_param\": {\"device\": \"cpu\", \"buffer_count\": 6, \"max_in_cpu\": 1e8},"
            + "  \"sub_group_size\": 1e8, \"stage3_prefetch_bucket_size\": 1e5, "
            + "  \"stage3_param_persistence_threshold\": 10, \"stage3_max_live_parameters\": 3e8,"
            + "  \"stage3_gather_16bit_weights_on_model_save\": true, \"round_robin_gradients\": true,"
            + "  \"leaf_module\": {\"names\": \"block\"}},"
            + "\"gradient_clipping\": 0.5, \"steps_per_print\": 10, \"wall_clock_breakdown\": true,"
            + "\"prescale_gradients\": true, \"gradient_predivide_factor\": 2.0, \"communication_data_type\": \"FP32\","
            + "\"tensorboard\": {\"enabled\": true, \"output_path\": \"/tmp/tb\"},"
            + "\"checkpoint\": {\"tag_validation\": \"fail\"}, \"aio\": {\"queue_depth\": 16},"
            + "\"compile\": {\"deepcompile\": false}"
            + "}";

    @Test
    void printedConfigReadsBackEqual() {
        DeepSpeedConfig a = DeepSpeedConfig.parse(NON_DEFAULT);
        for (int ws = 1; ws <= 3; ws++) {
            DeepSpeedConfig b = DeepSpeedConfig.parse(a.toJson(ws));
            assertEquals(a.sections(), b.sections());
            assertEquals(a.resolve(ws), b.resolve(ws));
            assertEquals(a.fp16(), b.fp16());
            assertEquals(a.bf16(), b.bf16());
            assertEquals(a.zero(), b.zero());
            assertEquals(a.optimizer(), b.optimizer());
            assertEquals(a.scheduler(), b.scheduler());
            assertEquals(a.options(), b.options());
            assertEquals(a.toJson(ws), b.toJson(ws));
        }
        // the values really are not the defaults
        assertEquals(12, a.fp16().initialScalePower());
        assertEquals(0.5, a.zero().offloadOptimizer().ratio());
        assertEquals(ResolvedBatch.of(24, 4, 3, 2), a.resolve(2));
        assertEquals("fp32", a.options().communicationDataType().orElseThrow());
    }

    @Test
    void autoSurvivesTheRoundTrip() {
        DeepSpeedConfig a = DeepSpeedConfig.parse("{\"train_batch_size\": \"auto\", "
                + "\"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_clipping\": \"auto\", "
                + "\"bf16\": {\"enabled\": \"auto\"}, \"zero_optimization\": {\"stage\": 2, "
                + "\"reduce_bucket_size\": \"auto\"}}");
        DeepSpeedConfig b = DeepSpeedConfig.parse(a.toJson(2));
        assertEquals(a.sections(), b.sections());
        assertEquals(a.resolve(2), b.resolve(2));
        assertEquals(a.resolve(2, 16), b.resolve(2, 16));
    }
}
