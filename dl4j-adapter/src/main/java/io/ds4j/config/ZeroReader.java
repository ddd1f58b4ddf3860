package io.ds4j.config;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroBucketConfig;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads {@code zero_optimization} the way DeepSpeed 0.19.x's {@code DeepSpeedZeroConfig} does: every field it
 * declares, the {@code stage3_*} aliases, the deprecated {@code cpu_offload}, {@code cpu_offload_param},
 * {@code cpu_offload_use_pin_memory} and {@code stage3_gather_fp16_weights_on_model_save}, the legacy boolean form,
 * unknown keys rejected, {@code "auto"} taking the default. ds4j refuses the fields that change the training math
 * and that it does not implement ({@code zenflow}, the ZeRO++ quantization flags).
 */
final class ZeroReader {
    static final String KEY = "zero_optimization";
    private static final long MAXSIZE = Long.MAX_VALUE;

    private ZeroReader() {
    }

    static ZeroConfig read(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        Object raw = root.get(KEY);
        if (raw instanceof Boolean b) {
            return legacy(b, root, ctx, printed);
        }
        if (root.containsKey("allgather_size") && root.get("allgather_size") != null) {
            ctx.warn("allgather_size", "accepted but ignored: it is read only with the legacy \"zero_optimization\":"
                    + " true (as in DeepSpeed); set zero_optimization.allgather_bucket_size instead");
        }
        Section s = Section.of(KEY, "auto".equals(raw) ? null : raw, ctx, true);
        int stage = stage(s);
        ZeroBucketConfig buckets = buckets(s, stage);
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("load_from_fp32_weights", s.bool("load_from_fp32_weights", true));
        options.put("elastic_checkpoint", s.bool("elastic_checkpoint", false));
        OffloadParamConfig offloadParam = offloadParam(s, stage);
        OffloadOptimizerConfig offloadOptimizer = offloadOptimizer(s, stage);
        refuseIfGiven(s, "zenflow", "ZenFlow updates unimportant gradients with a delay, which changes the "
                + "training math; remove zenflow (ds4j offloads with the exact optimizer step)");
        ZeroStage3Config stage3 = stage3(s);
        runtimeOptions(s, options);
        warnInert(s);
        s.rejectUnknown();
        printed.put(KEY, s.out());
        return new ZeroConfig(stage, buckets, stage3, offloadOptimizer, offloadParam, options);
    }

    private static ZeroConfig legacy(boolean enabled, Map<String, Object> root, ReadContext ctx,
                                     Map<String, Object> printed) {
        ctx.warn(KEY, "the boolean form is deprecated; write \"zero_optimization\": {\"stage\": "
                + (enabled ? 1 : 0) + "}");
        Map<String, Object> rewritten = new LinkedHashMap<>();
        rewritten.put("stage", enabled ? 1L : 0L);
        if (enabled) {
            Section top = Section.of("", root, ctx, false);
            rewritten.put("allgather_bucket_size", top.toLong("allgather_size",
                    root.getOrDefault("allgather_size", 500_000_000L), 0, MAXSIZE));
        }
        Map<String, Object> copy = new LinkedHashMap<>(root);
        copy.remove("allgather_size");
        copy.put(KEY, rewritten);
        return read(copy, ctx, printed);
    }

    private static int stage(Section s) {
        if (s.given("stage")) {
            long st = s.toLong("stage", s.value("stage"), Long.MIN_VALUE, Long.MAX_VALUE);
            if (st < 0 || st > ZeroConfig.MAX_STAGE) {
                throw s.error("stage", "ZeRO stage must be 0, 1, 2 or 3, got " + Repr.of(s.value("stage"))
                        + "; use 3 to partition parameters, gradients and optimizer state (the most)");
            }
        }
        return (int) s.integer("stage", 0, 0, ZeroConfig.MAX_STAGE);
    }

    private static ZeroBucketConfig buckets(Section s, int stage) {
        boolean contiguous = s.bool("contiguous_gradients", true);
        boolean reduceScatter = s.bool("reduce_scatter", true);
        // stages 0-2 bucket their reduction and gather (the steps' bound); stage 3 reads neither size
        long minBucket = stage < ZeroConfig.MAX_STAGE ? ZeroBucketConfig.MIN_BUCKET_SIZE : 0;
        long reduceBucket = s.integer("reduce_bucket_size", 500_000_000L, minBucket, MAXSIZE);
        boolean multiRank = s.bool("use_multi_rank_bucket_allreduce", true);
        boolean allgatherPartitions = s.bool("allgather_partitions", true);
        long allgatherBucket = s.integer("allgather_bucket_size", 500_000_000L, minBucket, MAXSIZE);
        Boolean overlap = s.optionalBool("overlap_comm");
        boolean overlapComm = overlap == null ? stage == ZeroConfig.MAX_STAGE : overlap;
        if (!s.isAuto("overlap_comm")) {
            s.put("overlap_comm", overlapComm);
        }
        return new ZeroBucketConfig(contiguous, reduceScatter, reduceBucket, multiRank, allgatherPartitions,
                allgatherBucket, overlapComm);
    }

    private static ZeroStage3Config stage3(Section s) {
        long subGroup = s.integer("sub_group_size", 1_000_000_000L, 0, MAXSIZE);
        long prefetch = aliased(s, "prefetch_bucket_size", 50_000_000L, 0);
        long paramPersist = aliased(s, "param_persistence_threshold", 100_000L, 0);
        long modelPersist = aliased(s, "model_persistence_threshold", MAXSIZE, 0);
        long maxLive = aliased(s, "max_live_parameters", 1_000_000_000L, 0);
        long maxReuse = aliased(s, "max_reuse_distance", 1_000_000_000L, 0);
        boolean gather = gather16bit(s);
        long granularity = aliased(s, "module_granularity_threshold", 0L, Long.MIN_VALUE);
        String fetchKey = s.aliasOf("use_all_reduce_for_fetch_params", "stage3_use_all_reduce_for_fetch_params");
        boolean allReduceFetch = s.bool(fetchKey, false);
        s.rename(fetchKey, "use_all_reduce_for_fetch_params");
        String seqKey = s.aliasOf("allgather_sequential", "stage3_allgather_sequential");
        boolean sequential = s.bool(seqKey, false);
        s.rename(seqKey, "allgather_sequential");
        return new ZeroStage3Config(prefetch, paramPersist, modelPersist, maxLive, maxReuse, gather, granularity,
                allReduceFetch, sequential, subGroup);
    }

    private static long aliased(Section s, String name, long def, long min) {
        String key = s.aliasOf(name, "stage3_" + name);
        long v = s.integer(key, def, min, MAXSIZE);
        s.rename(key, name);
        return v;
    }

    private static boolean gather16bit(Section s) {
        String name = "gather_16bit_weights_on_model_save";
        String key = s.aliasOf(name, "stage3_" + name);
        String legacy = "stage3_gather_fp16_weights_on_model_save";
        if (s.given(legacy)) {
            if (s.given(key)) {
                throw s.error(legacy, "the deprecated '" + legacy + "' and its replacement '" + key
                        + "' are both given; keep only '" + name + "'");
            }
            s.context().warn(s.pathOf(legacy), "deprecated; write '" + name + "' instead");
            boolean v = s.bool(legacy, false);
            s.rename(legacy, name);
            return v;
        }
        s.present(legacy);
        if (s.isAuto(legacy) && !s.present(key)) {
            s.bool(legacy, false);
            s.rename(legacy, name);
            return false;
        }
        boolean v = s.bool(key, false);
        s.rename(key, name);
        return v;
    }

    private static OffloadParamConfig offloadParam(Section s, int stage) {
        boolean legacy = deprecatedOffload(s, "cpu_offload_param", "offload_param");
        if (legacy) {
            boolean on = s.bool("cpu_offload_param", false);
            s.unprint("cpu_offload_param");
            OffloadParamConfig c = on ? OffloadParamConfig.onDevice(OffloadDevice.CPU) : OffloadParamConfig.none();
            printOffloadParam(s, c);
            return checkedParam(s, c, stage, "cpu_offload_param");
        }
        Section o = s.child("offload_param", true);
        OffloadDevice device = device(o);
        String nvme = o.string("nvme_path", null);
        int bufferCount = o.smallInt("buffer_count", 5, 0, Integer.MAX_VALUE);
        long bufferSize = o.integer("buffer_size", 100_000_000L, 0, MAXSIZE);
        long maxInCpu = o.integer("max_in_cpu", 1_000_000_000L, 0, MAXSIZE);
        boolean pin = o.bool("pin_memory", true);
        o.inert(Section.NO_EFFECT, "max_in_cpu", "pin_memory");
        if (device != OffloadDevice.NVME) {
            o.inert("the nvme swap buffers are used only with offload_param.device nvme", "buffer_count",
                    "buffer_size");
        }
        o.rejectUnknown();
        s.put("offload_param", o.out());
        OffloadParamConfig c = new OffloadParamConfig(device, nvme, bufferCount, bufferSize, maxInCpu, pin);
        return checkedParam(s, c, stage, "offload_param");
    }

    private static OffloadParamConfig checkedParam(Section s, OffloadParamConfig c, int stage, String key) {
        if (c.device().offloads() && stage < ZeroConfig.MAX_STAGE) {
            s.context().warn(s.pathOf(key), "parameter offload is used by ZeRO stage 3 only; at stage " + stage
                    + " it has no effect (DeepSpeed ignores it too)");
        }
        if (c.device() == OffloadDevice.NVME && c.nvmePath() == null && stage == ZeroConfig.MAX_STAGE) {
            throw new DeepSpeedConfigException(s.pathOf(key) + ".nvme_path", "offloading parameters to nvme needs "
                    + "nvme_path; set it to a directory on a fast local disk, or use device \"cpu\"");
        }
        return c;
    }

    private static OffloadOptimizerConfig offloadOptimizer(Section s, int stage) {
        boolean pinLegacy = s.given("cpu_offload_use_pin_memory");
        if (pinLegacy) {
            s.bool("cpu_offload_use_pin_memory", false);
            s.unprint("cpu_offload_use_pin_memory");
            s.context().warn(s.pathOf("cpu_offload_use_pin_memory"), "deprecated and without effect; set "
                    + "pin_memory inside offload_optimizer or offload_param instead");
        } else {
            s.present("cpu_offload_use_pin_memory");
        }
        OffloadOptimizerConfig c;
        if (deprecatedOffload(s, "cpu_offload", "offload_optimizer")) {
            boolean on = s.bool("cpu_offload", false);
            s.unprint("cpu_offload");
            c = on ? OffloadOptimizerConfig.onDevice(OffloadDevice.CPU) : OffloadOptimizerConfig.none();
            printOffloadOptimizer(s, c);
        } else {
            c = readOffloadOptimizer(s);
        }
        return checkedOptimizer(s, c, stage);
    }

    private static OffloadOptimizerConfig readOffloadOptimizer(Section s) {
        Section o = s.child("offload_optimizer", true);
        OffloadDevice device = device(o);
        String nvme = o.string("nvme_path", null);
        int bufferCount = o.smallInt("buffer_count", 4, 0, Integer.MAX_VALUE);
        boolean pin = o.bool("pin_memory", true);
        boolean read = o.bool("pipeline_read", false);
        boolean write = o.bool("pipeline_write", false);
        boolean fastInit = o.bool("fast_init", false);
        double ratio = o.number("ratio", 1.0, 0.0, 1.0);
        boolean superOffload = o.bool("super_offload", false);
        double cores = o.number("cpuadam_cores_perc", 0.8, 0.0, 1.0);
        o.inert(Section.NO_EFFECT, "fast_init", "cpuadam_cores_perc");
        o.rejectUnknown();
        s.put("offload_optimizer", o.out());
        return new OffloadOptimizerConfig(device, nvme, bufferCount, pin, read, write, fastInit, ratio,
                superOffload, cores);
    }

    private static OffloadOptimizerConfig checkedOptimizer(Section s, OffloadOptimizerConfig c, int stage) {
        String path = s.pathOf("offload_optimizer");
        if (c.ratio() < 1.0 && stage != ZeroConfig.MAX_STAGE) {
            throw new DeepSpeedConfigException(path + ".ratio", "partial offload (ratio " + c.ratio()
                    + " < 1) is supported with ZeRO stage 3 only, stage is " + stage + "; set ratio to 1 or "
                    + "zero_optimization.stage to 3");
        }
        if (c.device().offloads() && stage == 0) {
            s.context().warn(path, "optimizer offload needs ZeRO stage 1, 2 or 3; at stage 0 it has no effect "
                    + "(DeepSpeed ignores it too)");
        }
        if (c.device() == OffloadDevice.NVME && stage == ZeroConfig.MAX_STAGE && c.nvmePath() == null) {
            throw new DeepSpeedConfigException(path + ".nvme_path", "offloading the optimizer to nvme needs "
                    + "nvme_path; set it to a directory on a fast local disk, or use device \"cpu\"");
        }
        return c;
    }

    /** True when the deprecated boolean replaces the section; both given is DeepSpeed's assertion error. */
    private static boolean deprecatedOffload(Section s, String old, String replacement) {
        boolean oldGiven = s.given(old);
        boolean newGiven = s.given(replacement);
        if (!oldGiven) {
            s.present(old);
            if (s.isAuto(old)) {
                s.optionalBool(old);
            }
            return false;
        }
        if (newGiven) {
            throw s.error(old, "the deprecated '" + old + "' and its replacement '" + replacement + "' are both "
                    + "given; drop '" + old + "' and keep '" + replacement + "'");
        }
        s.context().warn(s.pathOf(old), "deprecated; write \"" + replacement + "\": {\"device\": \"cpu\"} instead");
        return true;
    }

    private static void printOffloadParam(Section s, OffloadParamConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", c.device().jsonName());
        m.put("nvme_path", c.nvmePath());
        m.put("buffer_count", (long) c.bufferCount());
        m.put("buffer_size", c.bufferSize());
        m.put("max_in_cpu", c.maxInCpu());
        m.put("pin_memory", c.pinMemory());
        s.put("offload_param", m);
    }

    private static void printOffloadOptimizer(Section s, OffloadOptimizerConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", c.device().jsonName());
        m.put("nvme_path", c.nvmePath());
        m.put("buffer_count", (long) c.bufferCount());
        m.put("pin_memory", c.pinMemory());
        m.put("pipeline_read", c.pipelineRead());
        m.put("pipeline_write", c.pipelineWrite());
        m.put("fast_init", c.fastInit());
        m.put("ratio", c.ratio());
        m.put("super_offload", c.superOffload());
        m.put("cpuadam_cores_perc", c.cpuadamCoresPerc());
        s.put("offload_optimizer", m);
    }

    private static OffloadDevice device(Section o) {
        String d = o.choice("device", "none", List.of("none", "cpu", "nvme"));
        return OffloadDevice.valueOf(d.toUpperCase(Locale.ROOT));
    }

    private static void refuseIfGiven(Section s, String key, String why) {
        if (s.given(key)) {
            throw s.error(key, why);
        }
        s.passthrough(key);
    }

    /** The keys of {@code zero_optimization} that change nothing in ds4j, each warned about when given. */
    private static void warnInert(Section s) {
        s.inert("ds4j's gradient shards are contiguous whatever its value", "contiguous_gradients");
        s.inert("ds4j's stages 1 and 2 always reduce-scatter the gradients", "reduce_scatter");
        s.inert("ds4j runs its collectives one after another on each rank", "overlap_comm");
        s.inert("at stage 3 ds4j always gathers the full fp32 parameters into the network when training ends",
                "gather_16bit_weights_on_model_save", "stage3_gather_16bit_weights_on_model_save");
        s.inert(Section.NO_EFFECT, "use_multi_rank_bucket_allreduce", "allgather_partitions",
                "load_from_fp32_weights", "elastic_checkpoint", "module_granularity_threshold",
                "stage3_module_granularity_threshold", "use_all_reduce_for_fetch_params",
                "stage3_use_all_reduce_for_fetch_params", "allgather_sequential", "stage3_allgather_sequential",
                "ignore_unused_parameters", "legacy_stage1", "round_robin_gradients", "zero_hpz_partition_size",
                "zeropp_loco_param", "mics_shard_size", "mics_hierarchical_params_gather", "memory_efficient_linear",
                "pipeline_loading_checkpoint", "override_module_apply", "log_trace_cache_warnings",
                "enable_sanity_checks", "save_muon_momentum_buffer_in_memory");
    }

    private static void runtimeOptions(Section s, Map<String, Object> o) {
        o.put("ignore_unused_parameters", s.bool("ignore_unused_parameters", true));
        o.put("legacy_stage1", s.bool("legacy_stage1", false));
        o.put("round_robin_gradients", s.bool("round_robin_gradients", false));
        o.put("zero_hpz_partition_size", s.integer("zero_hpz_partition_size", 1, 0, Integer.MAX_VALUE));
        for (String q : List.of("zero_quantized_weights", "zero_quantized_nontrainable_weights",
                "zero_quantized_gradients")) {
            if (s.bool(q, false)) {
                throw s.error(q, "ZeRO++ quantized communication changes the training math and ds4j does not "
                        + "implement it; set " + q + " to false");
            }
        }
        Object loco = s.value("zeropp_loco_param");
        if (loco != null && !(loco instanceof Map<?, ?>) && !"auto".equals(loco)) {
            throw s.error("zeropp_loco_param", "must be an object or null, got " + Repr.of(loco)
                    + "; write {\"err_beta\": 0.8, \"reset_T\": 1024} or remove it");
        }
        s.put("zeropp_loco_param", "auto".equals(loco) ? null : loco);
        o.put("mics_shard_size", s.integer("mics_shard_size", -1, Integer.MIN_VALUE, Integer.MAX_VALUE));
        for (String b : List.of("mics_hierarchical_params_gather", "memory_efficient_linear",
                "pipeline_loading_checkpoint", "override_module_apply", "log_trace_cache_warnings",
                "enable_sanity_checks", "save_muon_momentum_buffer_in_memory")) {
            boolean def = b.equals("memory_efficient_linear") || b.equals("override_module_apply");
            o.put(b, s.bool(b, def));
        }
        o.put("leaf_module", LeafModuleReader.read(s));
    }
}
