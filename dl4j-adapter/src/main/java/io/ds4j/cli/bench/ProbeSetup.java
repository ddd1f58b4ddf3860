package io.ds4j.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one child JVM of {@code bench memory} or {@code bench capacity} runs ({@link MemoryProbe}): the wide dense
 * network of {@link io.ds4j.cli.train.WideDigitsModel} at the width giving about {@code params} parameters, trained
 * {@code steps} global batches of {@value #MICRO_BATCH} examples per rank.
 *
 * @param mode       {@link Mode#BASELINE}: build the network, no training; {@link Mode#FIT}: plain DL4J
 *                   {@code fit()} with DL4J's Adam; {@link Mode#ZERO}: ds4j's {@code ZeroTrainer}
 * @param stage      {@code zero_optimization.stage} (ZERO only)
 * @param optimizer  {@code offload_optimizer.device} (ZERO, stage >= 1)
 * @param param      {@code offload_param.device} (ZERO, stage 3)
 * @param size       parameters wanted, ranks, steps
 * @param nvmePath   {@code nvme_path} of the nvme offloads (ignored when none is nvme)
 */
public record ProbeSetup(Mode mode, int stage, Offload optimizer, Offload param, Size size, Path nvmePath) {
    /** Examples per rank per step. */
    public static final int MICRO_BATCH = 16;
    /** The learning rate of every mode. */
    static final double LR = 1e-3;

    /**
     * What the child does: {@code ZERO_INIT} is {@code ZERO} at stage 3 on a network the child never initialises, so
     * that the trainer builds it partitioned ({@link io.ds4j.dl4j.PartitionedConstruction}, DeepSpeed's
     * {@code zero.Init}).
     */
    public enum Mode { BASELINE, FIT, ZERO, ZERO_INIT }

    /** Where an offload puts its bytes. */
    public enum Offload {
        NONE, CPU, NVME;

        /** @return the DeepSpeed {@code device} value */
        public String device() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * @param text none, cpu or nvme
         * @return the value
         */
        public static Offload parse(String text) {
            for (Offload o : values()) {
                if (o.device().equals(text)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("offload '" + text + "' is not one of none, cpu, nvme");
        }
    }

    /**
     * @param params    parameters wanted (the network has at least this many, the next width up)
     * @param worldSize ranks (ZERO), 1 otherwise
     * @param steps     training steps
     */
    public record Size(long params, int worldSize, int steps) {
        /** Checks the numbers. */
        public Size {
            if (params < 1 || worldSize < 1 || worldSize > 64 || steps < 0) {
                throw new IllegalArgumentException("probe size: params " + params + ", world size " + worldSize
                        + ", steps " + steps + "; use params >= 1, world size 1..64, steps >= 0");
            }
        }
    }

    /** Checks that the offloads are ones the stage supports. */
    public ProbeSetup {
        if (mode == Mode.ZERO_INIT && stage != 3) {
            throw new IllegalArgumentException("stage " + stage + ": partitioned construction (zero_init) is stage 3's;"
                    + " use stage 3 or mode zero");
        }
        if ((mode == Mode.ZERO || mode == Mode.ZERO_INIT) && (stage < 0 || stage > 3
                || stage == 0 && optimizer != Offload.NONE || stage < 3 && param != Offload.NONE)) {
            throw new IllegalArgumentException("stage " + stage + " with offload_optimizer " + optimizer.device()
                    + " and offload_param " + param.device() + " is not a ZeRO setup: offload_optimizer needs stage"
                    + " 1-3, offload_param stage 3");
        }
    }

    /** @return examples per step */
    public int globalBatch() {
        return MICRO_BATCH * size.worldSize();
    }

    /** {@code sub_group_size} of {@link #KNOBS}. */
    static final long SUB_GROUP_SIZE = 1_000_000;
    /**
     * The {@code zero_optimization} knobs every ZeRO probe sets, as a DeepSpeed user fitting the largest model into
     * little memory would set them rather than DeepSpeed's throughput-minded defaults (which make one sub-group, one
     * reduce bucket and the live-parameter budget each cover the whole model): the optimizer steps and nvme stages
     * one million elements at a time ({@code sub_group_size}), gradients are reduced and parameters all-gathered one
     * million elements at a time (stages 1-2), and stage 3 releases each layer's gathered parameters as soon as it
     * has run ({@code stage3_max_live_parameters}, {@code stage3_max_reuse_distance}), prefetches nothing, and keeps
     * only tensors below 10,000 elements (biases) gathered between steps.
     */
    public static final String KNOBS = "\"sub_group_size\": " + SUB_GROUP_SIZE
            + ", \"reduce_bucket_size\": 1000000, \"allgather_bucket_size\": 1000000";
    /** {@code offload_optimizer.buffer_count} of the nvme children: DeepSpeed's default, which they leave. */
    static final int OPTIMIZER_BUFFER_COUNT = io.ds4j.zero.config.OffloadOptimizerConfig.none().bufferCount();
    /** {@code buffer_count} of {@link #PARAM_SWAP}. */
    static final int PARAM_BUFFER_COUNT = 4;
    /** {@code buffer_size} of {@link #PARAM_SWAP}. */
    static final long PARAM_BUFFER_SIZE = 1_000_000;
    /** The stage-3 part of {@link #KNOBS}, set at stage 3 only. */
    public static final String STAGE3_KNOBS = "\"stage3_max_live_parameters\": 1000000,"
            + " \"stage3_max_reuse_distance\": 1000000, \"stage3_prefetch_bucket_size\": 0,"
            + " \"stage3_param_persistence_threshold\": 10000";
    /** {@code buffer_count} and {@code buffer_size} of an nvme {@code offload_param}: 4 swap buffers of 1M elements. */
    static final String PARAM_SWAP = "\"buffer_count\": " + PARAM_BUFFER_COUNT + ", \"buffer_size\": "
            + PARAM_BUFFER_SIZE;

    /** @return one line naming the knobs every ZeRO child sets, for the reports */
    public static String knobsLine() {
        return "ds4j zero_optimization: " + KNOBS + "; stage 3 also " + STAGE3_KNOBS + "; nvme offload_param "
                + PARAM_SWAP;
    }

    /** @return the DeepSpeed configuration (DeepSpeed's Adam section, fp32, no clipping, {@link #KNOBS};
     *         {@link #STAGE3_KNOBS} at stage 3) */
    public String json() {
        StringBuilder zero = new StringBuilder("\"stage\": " + stage + ", " + KNOBS
                + (stage == 3 ? ", " + STAGE3_KNOBS : ""));
        section(zero, "offload_optimizer", optimizer);
        section(zero, "offload_param", param);
        return String.format(Locale.ROOT, "{\"train_batch_size\": %d, \"gradient_accumulation_steps\": 1,"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": %s, \"betas\": [0.9, 0.999],"
                + " \"eps\": 1e-8, \"weight_decay\": 0}}, \"gradient_clipping\": 0, \"zero_optimization\": {%s}}",
                globalBatch(), LR, zero);
    }

    private void section(StringBuilder zero, String key, Offload o) {
        if (o == Offload.NONE) {
            return;
        }
        zero.append(", \"").append(key).append("\": {\"device\": \"").append(o.device()).append('"');
        if (o == Offload.NVME) {
            zero.append(", \"nvme_path\": \"").append(nvmePath.toString().replace("\\", "\\\\")).append('"');
            if (key.equals("offload_param")) {
                zero.append(", ").append(PARAM_SWAP);
            }
        }
        zero.append('}');
    }

    /** @return the child's arguments, parsed back by {@link #parse} */
    public List<String> toArgs() {
        List<String> a = new ArrayList<>(List.of("mode=" + mode.name().toLowerCase(Locale.ROOT), "stage=" + stage,
                "optimizer=" + optimizer.device(), "param=" + param.device(), "params=" + size.params(),
                "ranks=" + size.worldSize(), "steps=" + size.steps()));
        if (nvmePath != null) {
            a.add("nvme=" + nvmePath);
        }
        return a;
    }

    /**
     * @param args {@code key=value} arguments as {@link #toArgs} writes them
     * @return the setup
     */
    public static ProbeSetup parse(List<String> args) {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("probe argument '" + a + "' is not key=value");
            }
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return new ProbeSetup(Mode.valueOf(m.getOrDefault("mode", "").toUpperCase(Locale.ROOT)),
                Integer.parseInt(m.getOrDefault("stage", "0")), Offload.parse(m.getOrDefault("optimizer", "none")),
                Offload.parse(m.getOrDefault("param", "none")), new Size(Long.parseLong(m.get("params")),
                        Integer.parseInt(m.getOrDefault("ranks", "1")), Integer.parseInt(m.getOrDefault("steps",
                        "0"))), m.containsKey("nvme") ? Path.of(m.get("nvme")) : null);
    }
}
