package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refusal names the offending key: each case is a small config (a valid triad plus one fault), the JSON path
 * the error must carry, and a phrase the message must contain (the value, the rule or the fix). Rules are
 * DeepSpeed 0.19.6's unless marked ds4j.
 */
class ErrorPathTest {
    private static final String BATCH = "\"train_batch_size\": 8, ";

    static Stream<Arguments> cases() {
        return Stream.of(
                // JSON itself
                c("{\"train_batch_size\": 8,}", "", "line 1, column"),
                c("{\"train_batch_size\": 8,\n \"fp16\": {\"enabled\": tru}}", "", "line 2"),
                c("[1, 2]", "", "must be a JSON object"),
                c("{\"train_batch_size\": 8, \"train_batch_size\": 16}", "train_batch_size", "duplicate key"),
                c("{" + BATCH + "\"fp16\": {\"enabled\": true, \"enabled\": false}}", "fp16.enabled", "duplicate"),
                // batch triad types
                c("{\"train_batch_size\": \"8\"}", "train_batch_size", "must be an integer"),
                c("{\"gradient_accumulation_steps\": 2}", "train_batch_size", "neither"),
                c("{\"train_batch_sise\": 2}", "train_batch_size", "'train_batch_sise' looks like a misspelt "
                        + "'train_batch_size'"),
                // zero_optimization
                c("{" + BATCH + "\"zero_optimization\": 3}", "zero_optimization", "must be a JSON object"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 4}}", "zero_optimization.stage", "0, 1, 2 or 3"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": -1}}", "zero_optimization.stage", "got -1"),
                c("{" + BATCH + "\"zero_optimization\": {\"stgae\": 2}}", "zero_optimization.stgae",
                        "did you mean 'stage'?"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"reduce_bucket_size\": 1.5}}",
                        "zero_optimization.reduce_bucket_size", "whole number"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"reduce_bucket_size\": -1}}",
                        "zero_optimization.reduce_bucket_size", ">= 0"),
                // stages 0-2 bucket with these sizes: the step's bound (>= 1) is the reader's, not a failure at build
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"reduce_bucket_size\": 0}}",
                        "zero_optimization.reduce_bucket_size", ">= 1, got 0"),
                c("{" + BATCH + "\"zero_optimization\": {\"allgather_bucket_size\": 0}}",
                        "zero_optimization.allgather_bucket_size", ">= 1, got 0"),
                c("{" + BATCH + "\"zero_optimization\": {\"reduce_bucket_size\": \"5e8\"}}",
                        "zero_optimization.reduce_bucket_size", "must be an integer"),
                c("{" + BATCH + "\"zero_optimization\": {\"contiguous_gradients\": \"yes\"}}",
                        "zero_optimization.contiguous_gradients", "true or false"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage3_prefetch_bucket_size\": 1, "
                        + "\"prefetch_bucket_size\": 2}}", "zero_optimization.stage3_prefetch_bucket_size",
                        "same setting"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"cpu_offload\": true, "
                        + "\"offload_optimizer\": {\"device\": \"cpu\"}}}", "zero_optimization.cpu_offload",
                        "both given"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"cpu_offload_param\": false, "
                        + "\"offload_param\": {\"device\": \"cpu\"}}}", "zero_optimization.cpu_offload_param",
                        "both given"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"stage3_gather_fp16_weights_on_model_save\": "
                        + "true, \"gather_16bit_weights_on_model_save\": true}}",
                        "zero_optimization.stage3_gather_fp16_weights_on_model_save", "both given"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"device\": \"gpu\"}}}",
                        "zero_optimization.offload_optimizer.device", "[none, cpu, nvme]"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"device\": \"cpu\", "
                        + "\"ratio\": 0.5}}}", "zero_optimization.offload_optimizer.ratio", "stage 3 only"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"offload_optimizer\": {\"ratio\": 1.5}}}",
                        "zero_optimization.offload_optimizer.ratio", "in [0, 1]"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"offload_optimizer\": {\"devise\": \"cpu\"}}}",
                        "zero_optimization.offload_optimizer.devise", "did you mean 'device'?"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 3, \"offload_param\": {\"device\": \"nvme\"}}}",
                        "zero_optimization.offload_param.nvme_path", "nvme_path"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"zero_quantized_gradients\": true}}",
                        "zero_optimization.zero_quantized_gradients", "set zero_quantized_gradients to false"),
                c("{" + BATCH + "\"zero_optimization\": {\"stage\": 2, \"zenflow\": {\"topk_ratio\": 0.1}}}",
                        "zero_optimization.zenflow", "ZenFlow"),
                // precision
                c("{" + BATCH + "\"fp16\": {\"enabled\": true}, \"bf16\": {\"enabled\": true}}", "bf16.enabled",
                        "cannot both be enabled"),
                c("{" + BATCH + "\"fp16\": {\"enabled\": true}, \"bfloat16\": {\"enabled\": true}}",
                        "bfloat16.enabled", "cannot both be enabled"),
                c("{" + BATCH + "\"fp16\": {\"enabled\": true, \"fp16_master_weights_and_grads\": true}}",
                        "fp16.fp16_master_weights_and_grads", "stage 1, 2 or 3"),
                c("{" + BATCH + "\"bf16\": {\"enabled\": true, \"bf16_master_weights_and_grads\": true}}",
                        "bf16.bf16_master_weights_and_grads", "stage 1, 2 or 3"),
                c("{" + BATCH + "\"bf16\": {\"enabled\": true, \"bf16_optimizer_states\": true}, "
                        + "\"zero_optimization\": {\"stage\": 2}}", "bf16.bf16_optimizer_states",
                        "bf16_master_weights_and_grads"),
                c("{" + BATCH + "\"fp16\": {\"loss_scale\": true}}", "fp16.loss_scale", "boolean"),
                c("{" + BATCH + "\"fp16\": {\"loss_scale\": -1}}", "fp16.loss_scale", ">= 0"),
                c("{" + BATCH + "\"fp16\": {\"enabled\": true, \"loss_scale_window\": 0}}", "fp16.loss_scale_window",
                        "> 0"),
                c("{" + BATCH + "\"fp16\": {\"enabled\": true, \"min_loss_scale\": 0}}", "fp16.min_loss_scale", "> 0"),
                c("{" + BATCH + "\"fp16\": {\"initial_scale_power\": 200}}", "fp16.initial_scale_power", "[0, 127]"),
                c("{" + BATCH + "\"fp16\": {\"enabeld\": true}}", "fp16.enabeld", "did you mean 'enabled'?"),
                // optimizer
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adma\"}}", "optimizer.type", "did you mean 'Adam'?"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"sgd\"}}", "optimizer.type", "did you mean 'SGD'?"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"OneBitAdam\"}}", "optimizer.type", "1-bit"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"RMSprop\"}}", "optimizer.type", "not implemented"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"parms\": {}}}", "optimizer.parms",
                        "did you mean 'params'?"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lrr\": 0.1}}}",
                        "optimizer.params.lrr", "did you mean 'lr'?"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"max_grad_norm\": 1.0}}}",
                        "optimizer.params.max_grad_norm", "gradient_clipping"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": -0.1}}}",
                        "optimizer.params.lr", ">= 0"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"betas\": [0.9]}}}",
                        "optimizer.params.betas", "two numbers"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"betas\": [0.9, 1.5]}}}",
                        "optimizer.params.betas[1]", "[0, 1)"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"bias_correction\": \"auto\"}}}",
                        "optimizer.params.bias_correction", "\"auto\" is not resolvable"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"SGD\", \"params\": {\"nesterov\": true}}}",
                        "optimizer.params.nesterov", "momentum > 0"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"SGD\", \"params\": {\"lr\": 0.1}}, "
                        + "\"zero_optimization\": {\"stage\": 2}}", "optimizer.type", "zero_allow_untested_optimizer"),
                c("{" + BATCH + "\"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.1}}, "
                        + "\"zero_optimization\": {\"stage\": 1}}", "optimizer.type", "zero_allow_untested_optimizer"),
                // scheduler
                c("{" + BATCH + "\"scheduler\": {\"type\": \"WarmupLr\"}}", "scheduler.type",
                        "did you mean 'WarmupLR'?"),
                c("{" + BATCH + "\"scheduler\": {\"type\": \"StepLR\"}}", "scheduler.type", "not implemented"),
                c("{" + BATCH + "\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_num_step\": 10}}}",
                        "scheduler.params.warmup_num_step", "warmup_num_steps"),
                c("{" + BATCH + "\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_type\": \"auto\"}}}",
                        "scheduler.params.warmup_type", "\"auto\" is not resolvable"),
                // refused and gated features (ds4j)
                c("{" + BATCH + "\"amp\": {\"enabled\": true}}", "amp.enabled", "Apex"),
                c("{" + BATCH + "\"sparse_attention\": {\"mode\": \"fixed\"}}", "sparse_attention", "sparse"),
                c("{" + BATCH + "\"pipeline\": {\"stages\": 2}}", "pipeline", "pipeline"),
                c("{" + BATCH + "\"elasticity\": {\"enabled\": true}}", "elasticity.enabled", "elastic"),
                c("{" + BATCH + "\"hybrid_engine\": {\"enabled\": true}}", "hybrid_engine.enabled", "hybrid"),
                c("{" + BATCH + "\"curriculum_learning\": {\"enabled\": true}}", "curriculum_learning.enabled",
                        "curriculum"),
                c("{" + BATCH + "\"compression_training\": {\"weight_quantization\": {\"shared_parameters\": "
                        + "{\"enabled\": true}}}}",
                        "compression_training.weight_quantization.shared_parameters.enabled", "compression"),
                c("{" + BATCH + "\"sequence_parallel_size\": 4}", "sequence_parallel_size", "sequence"),
                c("{" + BATCH + "\"tensor_parallel\": {\"autotp_size\": 2}}", "tensor_parallel.autotp_size",
                        "tensor"),
                // top-level scalars
                c("{" + BATCH + "\"gradient_clipping\": -1}", "gradient_clipping", ">= 0"),
                c("{" + BATCH + "\"gradient_clipping\": \"1.0\"}", "gradient_clipping", "must be a number"),
                c("{" + BATCH + "\"steps_per_print\": 0}", "steps_per_print", ">= 1"),
                c("{" + BATCH + "\"steps_per_print\": \"auto\"}", "steps_per_print", "\"auto\" is not resolvable"),
                c("{" + BATCH + "\"communication_data_type\": \"fp8\"}", "communication_data_type", "fp32"),
                c("{" + BATCH + "\"gradient_allreduce_op\": \"sum\", \"zero_optimization\": {\"stage\": 3}}",
                        "gradient_allreduce_op", "stage 3"),
                c("{" + BATCH + "\"gradient_predivide_factor\": 0}", "gradient_predivide_factor", "must be a number"),
                // other sections
                c("{" + BATCH + "\"tensorboard\": {\"enable\": true}}", "tensorboard.enable",
                        "did you mean 'enabled'?"),
                c("{" + BATCH + "\"checkpoint\": {\"tag_validation\": \"strict\"}}", "checkpoint.tag_validation",
                        "WARN"),
                c("{" + BATCH + "\"aio\": {\"queue_depth\": 0}}", "aio.queue_depth", ">= 1"));
    }

    private static Arguments c(String json, String path, String phrase) {
        return Arguments.of(json, path, phrase);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("cases")
    void errorNamesTheOffendingKey(String json, String path, String phrase) {
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                () -> DeepSpeedConfig.parse(json).toJson(1));
        assertEquals(path, e.path(), e.getMessage());
        assertTrue(e.detail().contains(phrase), "expected '" + phrase + "' in: " + e.detail());
        assertTrue(e.detail().contains(";"), "every message says what to do after a ';': " + e.detail());
    }
}
