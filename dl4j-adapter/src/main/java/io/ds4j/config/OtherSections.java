package io.ds4j.config;

import java.util.List;
import java.util.Map;

/**
 * The sections besides the training math that ds4j validates and prints with DeepSpeed's defaults:
 * {@code tensorboard} and {@code csv_monitor} (strict, as DeepSpeed's monitor models), {@code checkpoint},
 * {@code aio} and {@code data_types} (DeepSpeed reads these with {@code dict.get}, so unknown keys there only warn).
 */
final class OtherSections {
    static final List<String> KEYS = List.of("tensorboard", "csv_monitor", "checkpoint", "aio", "data_types");
    private static final List<String> DTYPES = List.of("fp32", "fp16", "bf16");
    private static final String FORMAT = "ds4j writes its own checksummed checkpoint format, not torch.save files";
    private static final String ONE_PROCESS = "ds4j writes every rank's file into the one checkpoint directory, which"
            + " ranks that are processes share (a shared file system, as DeepSpeed assumes without node-local storage)";

    private OtherSections() {
    }

    static void read(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        for (String key : List.of("tensorboard", "csv_monitor")) {
            Section s = Section.of(key, root.get(key), ctx, true);
            s.bool("enabled", false);
            s.string("output_path", "");
            s.string("job_name", "DeepSpeedJobName");
            if (key.equals("tensorboard")) {
                s.inert("ds4j has no TensorBoard writer (csv_monitor writes the same scalars)", "enabled",
                        "output_path", "job_name");
            }
            s.rejectUnknown();
            printed.put(key, s.out());
        }
        checkpoint(root, ctx, printed);
        aio(root, ctx, printed);
        dataTypes(root, ctx, printed);
    }

    private static void checkpoint(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        Section s = Section.of("checkpoint", root.get("checkpoint"), ctx, false);
        s.choice("tag_validation", "WARN", List.of("WARN", "IGNORE", "FAIL"));
        s.bool("load_universal", false);
        s.bool("use_node_local_storage", false);
        s.bool("checkpoint_serialization", true);
        Object writer = s.value("writer");
        if (writer != null && !(writer instanceof Map<?, ?>)) {
            throw s.error("writer", "must be an object or null, got " + Repr.of(writer)
                    + "; write e.g. {\"type\": \"FAST\"} or remove it");
        }
        s.put("writer", writer);
        Section pw = s.child("parallel_write", false);
        pw.bool("pipeline_stage", false);
        pw.warnUnknown("DeepSpeed reads only pipeline_stage here");
        pw.inert("ds4j has no pipeline parallelism; " + ONE_PROCESS, "pipeline_stage");
        s.put("parallel_write", pw.out());
        // tag_validation acts: it decides what loading a checkpoint of another configuration does (CheckpointConfig)
        s.inert("ds4j's own checkpoints load into any world size and ZeRO stage without a conversion; it cannot read"
                + " DeepSpeed's universal checkpoint folders", "load_universal");
        s.inert(ONE_PROCESS, "use_node_local_storage");
        s.inert(FORMAT, "checkpoint_serialization", "writer");
        s.warnUnknown("no effect in ds4j");
        printed.put("checkpoint", s.out());
    }

    private static void aio(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        Section s = Section.of("aio", root.get("aio"), ctx, false);
        s.integer("block_size", 1_048_576L, 1, Long.MAX_VALUE);
        s.integer("queue_depth", 8, 1, Integer.MAX_VALUE);
        s.integer("intra_op_parallelism", 1, 1, Integer.MAX_VALUE);
        s.bool("single_submit", false);
        s.bool("overlap_events", true);
        s.bool("use_gds", false);
        s.inert("ds4j's nvme stores use Java file channels, not DeepSpeed's async I/O library", "block_size",
                "queue_depth", "intra_op_parallelism", "single_submit", "overlap_events", "use_gds");
        s.warnUnknown("DeepSpeed reads only the six aio keys");
        printed.put("aio", s.out());
    }

    private static void dataTypes(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        Section s = Section.of("data_types", root.get("data_types"), ctx, false);
        for (String k : List.of("grad_accum_dtype", "param_dtype", "buffer_dtype")) {
            if (s.given(k)) {
                s.choice(k, null, DTYPES);
            } else {
                s.string(k, null);
            }
        }
        s.inert("ds4j accumulates gradients and keeps master weights in fp32; the compute type comes from fp16/bf16",
                "grad_accum_dtype", "param_dtype", "buffer_dtype");
        s.warnUnknown("DeepSpeed reads only grad_accum_dtype, param_dtype and buffer_dtype here");
        printed.put("data_types", s.out());
    }
}
