package io.ds4j.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The top-level scalars of a DeepSpeed configuration that ds4j uses, with DeepSpeed 0.19.x's code defaults (the
 * others it accepts, such as {@code dump_state} or {@code sparse_gradients}, are validated, printed, and warned
 * about when given, since they change nothing in ds4j).
 *
 * @param gradientClipping           {@code gradient_clipping}: global norm bound, 0 disables (default 1.0)
 * @param stepsPerPrint              {@code steps_per_print}; empty = never (default: none)
 * @param wallClockBreakdown         {@code wall_clock_breakdown} (default false)
 * @param prescaleGradients          {@code prescale_gradients}: divide before the all-reduce (default false)
 * @param gradientPredivideFactor    {@code gradient_predivide_factor} (default 1.0)
 * @param communicationDataType      {@code communication_data_type}: fp32, fp16 or bf16; empty = the
 *                                   compute type (default)
 * @param gradientAllreduceOp        {@code gradient_allreduce_op}: mean or sum (default mean)
 * @param zeroAllowUntestedOptimizer {@code zero_allow_untested_optimizer} (default false)
 */
public record TopLevelOptions(double gradientClipping, OptionalLong stepsPerPrint, boolean wallClockBreakdown,
                              boolean prescaleGradients, double gradientPredivideFactor,
                              Optional<String> communicationDataType, String gradientAllreduceOp,
                              boolean zeroAllowUntestedOptimizer) {

    private static final List<String> DTYPES = List.of("fp32", "fp16", "bf16");

    /** Reads the scalars from the top-level section (printing each with its default). */
    static TopLevelOptions read(Section top) {
        top.allowAuto("gradient_clipping");
        double clip = top.number("gradient_clipping", 1.0, 0, Double.MAX_VALUE);
        OptionalLong steps = top.given("steps_per_print")
                ? OptionalLong.of(top.integer("steps_per_print", 0, 1, Long.MAX_VALUE)) : nullInt(top);
        boolean wall = top.bool("wall_clock_breakdown", false);
        top.bool("memory_breakdown", false);
        top.bool("dump_state", false);
        boolean prescale = top.bool("prescale_gradients", false);
        double predivide = top.number("gradient_predivide_factor", 1.0, Double.MIN_VALUE, Double.MAX_VALUE);
        String op = top.choice("gradient_allreduce_op", "mean", List.of("mean", "sum"));
        Optional<String> comm = Optional.ofNullable(top.given("communication_data_type")
                ? top.choice("communication_data_type", null, DTYPES) : top.string("communication_data_type", null));
        top.choice("seq_parallel_communication_data_type", "fp32", DTYPES);
        top.bool("sparse_gradients", false);
        top.bool("disable_allgather", false);
        boolean untested = top.bool("zero_allow_untested_optimizer", false);
        top.bool("zero_force_ds_cpu_optimizer", true);
        top.bool("managed_gradient_accumulation", true);
        top.bool("graph_harvesting", false);
        top.bool("dataloader_drop_last", false);
        top.bool("use_data_before_expert_parallelism", false);
        top.string("log_level", null);
        if (top.given("vocabulary_size")) {
            top.integer("vocabulary_size", 0, 1, Integer.MAX_VALUE);
        } else {
            top.string("vocabulary_size", null);
        }
        top.inert(Section.NO_EFFECT, "memory_breakdown", "dump_state", "seq_parallel_communication_data_type",
                "sparse_gradients", "disable_allgather", "zero_force_ds_cpu_optimizer", "managed_gradient_accumulation",
                "graph_harvesting", "dataloader_drop_last", "use_data_before_expert_parallelism", "log_level",
                "vocabulary_size");
        return new TopLevelOptions(clip, steps, wall, prescale, predivide, comm, op, untested);
    }

    private static OptionalLong nullInt(Section top) {
        if (top.present("steps_per_print") && top.value("steps_per_print") != null) {
            top.integer("steps_per_print", 0, 1, Long.MAX_VALUE);
        }
        top.put("steps_per_print", null);
        return OptionalLong.empty();
    }
}
