package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The verdict for each of the 61 real-world configs (shipped in {@code src/test/resources/ds-configs}) at world
 * sizes 1 and 2. Each expectation was derived by hand from DeepSpeed 0.19.6's rules ({@code _set_batch_related_parameters}: with train+micro, gas = train // micro
 * // world; with train+gas, micro = train // world // gas; with micro+gas, train = micro * gas * world; train only:
 * gas = 1, micro = train // world; micro only: gas = 1, train = micro * world; then every value must be > 0 and
 * train == micro * gas * world) plus the ds4j differences of issue 2. {@code "t/m/g"} is the resolved triad
 * ({@code auto} where the iterator decides), {@code "!path"} a refusal naming that JSON path.
 */
class SharedConfigsVerdictTest {

    /** file -> {world size 1, world size 2}. */
    private static final Map<String, String[]> EXPECTED = new LinkedHashMap<>();

    private static void expect(String file, String ws1, String ws2) {
        EXPECTED.put(file, new String[] {ws1, ws2});
    }

    static {
        // HF/accelerate: gas 1 given, train and micro "auto": nothing to derive, autos stay.
        expect("acc-sp-alst.ds-config.json", "auto/auto/1", "auto/auto/1");
        expect("acc-zero_stage1_config.json", "auto/auto/1", "auto/auto/1");
        expect("acc-zero_stage2_offload_config.json", "auto/auto/1", "auto/auto/1");
        expect("acc-zero_stage3_offload_config.json", "auto/auto/1", "auto/auto/1");
        // train 1 + gas 1: micro = 1 // 2 // 1 = 0 at two ranks.
        expect("ds-accelerator-ds_config.json", "1/1/1", "!train_micro_batch_size_per_gpu");
        // train 24 + micro 3: gas = 24 // 3 // w = 8, 4.
        expect("ds-deepspeed_bsz24_fp16_config.json", "24/3/8", "24/3/4");
        // eigenvalue.enabled comes first in the file (quantize_training has no "enabled" here anyway).
        expect("ds-deepspeed_bsz24_fp16_eigenvalue_quantize_config.json", "!eigenvalue.enabled",
                "!eigenvalue.enabled");
        expect("ds-deepspeed_bsz24_fp16_zero2_config.json", "24/3/8", "24/3/4");
        expect("ds-deepspeed_bsz24_fp32_config.json", "24/3/8", "24/3/4");
        expect("ds-ds_batch_config.json", "2/2/1", "2/1/1");
        // No optimizer at stage 1/2: valid in ds4j (the network's updater is the client optimizer).
        expect("ds-ds_config_func_bs4_zero1.json", "4/4/1", "4/2/1");
        expect("ds-ds_config_func_bs4_zero2.json", "4/4/1", "4/2/1");
        // Deprecated cpu_offload alone (no offload_optimizer) is accepted with a warning.
        expect("ds-ds_config_func_bs4_zero2_offload.json", "4/4/1", "4/2/1");
        expect("ds-ds_config_func_bs8_no_zero.json", "8/8/1", "8/4/1");
        // micro 8 + gas 3: train = 8 * 3 * w.
        expect("ds-ds_config_func_bs8_zero0_gas3.json", "24/8/3", "48/8/3");
        expect("ds-ds_config_func_bs8_zero1.json", "8/8/1", "8/4/1");
        expect("ds-ds_config_func_bs8_zero2.json", "8/8/1", "8/4/1");
        expect("ds-ds_config_func_bs8_zero2_gas3.json", "24/8/3", "48/8/3");
        expect("ds-ds_config_func_bs8_zero2_offload.json", "8/8/1", "8/4/1");
        expect("ds-ds_config_func_scheduler.json", "4/4/1", "4/2/1");
        expect("ds-ds_config_perf_bs16.json", "16/16/1", "16/8/1");
        // No hybrid_engine key in it; offload_param at stage 0 is ignored by DeepSpeed (warning in ds4j).
        // train 32 + micro 2: gas = 16, 8.
        expect("ds-hybrid_engine_config.json", "32/2/16", "32/2/8");
        expect("ds-sdma_allgather-ds_config_zero3.json", "1/1/1", "2/1/1");
        // Autotuning templates carry no batch key: DeepSpeed asserts one of train/micro is given.
        expect("ds-template_zero0.json", "!train_batch_size", "!train_batch_size");
        expect("ds-template_zero1.json", "!train_batch_size", "!train_batch_size");
        expect("ds-template_zero2.json", "!train_batch_size", "!train_batch_size");
        expect("ds-template_zero3.json", "!train_batch_size", "!train_batch_size");
        expect("ds-torch_compile-ds_config_z2.json", "8/8/1", "8/4/1");
        expect("ds-torch_compile-ds_config_z3.json", "8/8/1", "8/4/1");
        expect("ds-torch_compile-ds_config_z3_deepcompile_no_persist.json", "8/8/1", "8/4/1");
        expect("dse-MoQ-test.json", "!quantize_training.enabled", "!quantize_training.enabled");
        expect("dse-autosp_config.json", "!sequence_parallel_size", "!sequence_parallel_size");
        // micro "auto" only: train = micro * w stays auto, gas = 1.
        expect("dse-autotuning-deberta-ds_config_fp16_tune.json", "auto/auto/1", "auto/auto/1");
        expect("dse-autotuning-ds_config_z3.json", "auto/auto/1", "auto/auto/1");
        expect("dse-bf16_master_weight-baseline.json", "4/4/1", "8/4/1");
        // bf16 master weights + bf16 optimizer states at stage 3: DeepSpeed allows both (stage 1-3).
        expect("dse-bf16_master_weight-bf16_full.json", "4/4/1", "8/4/1");
        // train 32 + micro 32: gas = 32 // 32 // 2 = 0 at two ranks.
        expect("dse-cifar-config-ds_config.json", "32/32/1", "!gradient_accumulation_steps");
        expect("dse-deepspeed_bsz24_config.json", "24/3/8", "24/3/4");
        // Lamb without ZeRO needs no zero_allow_untested_optimizer.
        expect("dse-deepspeed_bsz32k_lamb_config_seq512.json", "32768/16/2048", "32768/16/1024");
        expect("dse-deepspeed_bsz4k_01adam_config_seq128_nccl.json", "!optimizer.type", "!optimizer.type");
        expect("dse-deepspeed_bsz4k_progressive_layer_drop_config_seq128.json", "!progressive_layer_drop.enabled",
                "!progressive_layer_drop.enabled");
        expect("dse-deepspeed_bsz64k_onebitlamb_config_seq128_nccl.json", "!optimizer.type", "!optimizer.type");
        // "OnebitAdam" matches DeepSpeed's onebitadam case-insensitively.
        expect("dse-deepspeed_onebitadam_bsz96_config.json", "!optimizer.type", "!optimizer.type");
        expect("dse-ds_config_gpt_base_random_ltd.json", "!data_efficiency.enabled", "!data_efficiency.enabled");
        expect("dse-ds_fp16_config.json", "256/256/1", "256/128/1");
        expect("dse-ds_fp16_z1_config.json", "256/256/1", "256/128/1");
        // train 1 only: micro = 1 // 2 = 0 at two ranks.
        expect("dse-ds_offload_cpu.json", "1/1/1", "!train_micro_batch_size_per_gpu");
        expect("dse-ds_offload_nvme_aio.json", "1/1/1", "!train_micro_batch_size_per_gpu");
        expect("dse-gan_deepspeed_config.json", "64/64/1", "64/32/1");
        expect("dse-glue_bert_base.json", "32/32/1", "!gradient_accumulation_steps");
        expect("dse-gpt2-config-ds_config.json", "8/4/2", "8/4/1");
        expect("dse-imagenet-config-ds_config.json", "256/256/1", "256/128/1");
        // No "pipeline" section in it: plain data parallelism.
        expect("dse-pipeline_parallelism-ds_config.json", "256/8/32", "256/8/16");
        expect("dse-tensor_parallel-ds_config.json", "!tensor_parallel.autotp_size", "!tensor_parallel.autotp_size");
        expect("dse-torchcompile_config.json", "auto/auto/1", "auto/auto/1");
        // ZenFlow (delayed updates of unimportant gradients) changes the math: refused by ds4j.
        expect("dse-zf_config.json", "!zero_optimization.zenflow", "!zero_optimization.zenflow");
        expect("hf-ds_config_zero2.json", "auto/auto/auto", "auto/auto/auto");
        expect("hf-ds_config_zero2_bf16.json", "auto/auto/auto", "auto/auto/auto");
        // Legacy HF test config: no batch key at all and no "auto" (old HF set them itself); DeepSpeed refuses.
        expect("hf-ds_config_zero3-legacy-static.json", "!train_batch_size", "!train_batch_size");
        expect("hf-ds_config_zero3.json", "auto/auto/auto", "auto/auto/auto");
        expect("hf-ds_config_zero3_bf16.json", "auto/auto/auto", "auto/auto/auto");
    }

    static Stream<Arguments> cases() {
        return EXPECTED.entrySet().stream().flatMap(e -> Stream.of(
                Arguments.of(e.getKey(), 1, e.getValue()[0]), Arguments.of(e.getKey(), 2, e.getValue()[1])));
    }

    @Test
    void theTableCoversExactlyTheSharedFiles() {
        TreeSet<String> files = RepoFiles.jsonFiles(RepoFiles.realConfigs()).stream()
                .map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(61, files.size(), "ds-configs should hold 61 configs");
        assertEquals(files, new TreeSet<>(EXPECTED.keySet()));
    }

    @ParameterizedTest(name = "{0} at world size {1}: {2}")
    @MethodSource("cases")
    void verdict(String file, int worldSize, String expected) {
        Path path = RepoFiles.realConfigs().resolve(file);
        if (expected.startsWith("!")) {
            DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                    () -> DeepSpeedConfig.load(path).resolve(worldSize));
            assertEquals(expected.substring(1), e.path(), e.getMessage());
            return;
        }
        ResolvedBatch b = DeepSpeedConfig.load(path).resolve(worldSize);
        assertEquals(expected, show(b.trainBatchSize()) + "/" + show(b.trainMicroBatchSizePerGpu()) + "/"
                + show(b.gradientAccumulationSteps()));
        assertEquals(worldSize, b.worldSize());
    }

    private static String show(OptionalLong v) {
        return v.isPresent() ? String.valueOf(v.getAsLong()) : "auto";
    }

    @Test
    void warningsNameTheIgnoredKeys() {
        Path dir = RepoFiles.realConfigs();
        // fp16.auto_cast changes nothing in ds4j; cuda_visible_devices is not a DeepSpeed key
        List<String> w = DeepSpeedConfig.load(dir.resolve("dse-ds_fp16_config.json")).warnings();
        assertEquals(List.of("fp16.auto_cast", "cuda_visible_devices"), paths(w), w.toString());
        // activation_checkpointing observes PyTorch; cpu_offload is deprecated; reduce_scatter changes nothing
        List<String> w2 = DeepSpeedConfig.load(dir.resolve("ds-ds_config_func_bs8_zero2_offload.json")).warnings();
        assertEquals(List.of("activation_checkpointing", "zero_optimization.cpu_offload",
                "zero_optimization.reduce_scatter"), paths(w2), w2.toString());
    }

    private static List<String> paths(List<String> warnings) {
        return warnings.stream().map(s -> s.substring(0, s.indexOf(':'))).toList();
    }
}
