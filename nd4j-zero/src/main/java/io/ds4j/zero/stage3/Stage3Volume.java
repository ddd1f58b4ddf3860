package io.ds4j.zero.stage3;

import java.util.List;

/**
 * The communication volume of one stage-3 step, in the ring volume of {@link io.ds4j.zero.comm.CommStats} (elements a
 * rank receives).
 *
 * <h2>Derivation for this schedule</h2>
 * A parameter of {@code n} elements on {@code N} ranks has shards of {@code s = ceil(n / N)} elements (padded length
 * {@code N s}). One all-gather of it, and one reduce-scatter of its gradient, each make every rank receive
 * {@code (N - 1) s} elements. In one step a parameter is all-gathered {@code g} times and its gradient is
 * reduce-scattered once, so the step moves {@code (N - 1) s (g + 1)} per rank. With no persistent parameters and
 * {@code stage3_max_reuse_distance = 0}, every parameter is gathered once for the forward pass and once again for the
 * backward pass ({@code g = 2}), and the volume is {@code 3 (N - 1) sum(s)} per rank, i.e. {@code 3 &Psi; (N - 1) / N}
 * with &Psi; the padded parameter count: the ZeRO paper's 3&Psi; (&sect;7), against 2&Psi; for stages 0 to 2.
 * A persistent parameter is gathered once per step (after the optimizer step, {@code g = 1}); one kept gathered
 * between its last forward use and its first backward use because that reuse is within
 * {@code stage3_max_reuse_distance} is gathered once ({@code g = 1}) as well.
 */
public final class Stage3Volume {
    private Stage3Volume() {
    }

    /** Elements one rank receives for one all-gather or reduce-scatter of a tensor of {@code numel} elements. */
    public static long perCollective(long numel, int worldSize) {
        long shard = (numel + worldSize - 1) / worldSize;
        return (worldSize - 1L) * shard;
    }

    /**
     * The ZeRO paper's 3&Psi; for the plain schedule (no persistence, no reuse retention): per rank per step.
     *
     * @param params the model's parameters
     */
    public static long threePsi(List<ParamSpec> params, int worldSize) {
        long v = 0;
        for (ParamSpec p : params) {
            v += 3 * perCollective(p.numel(), worldSize);
        }
        return v;
    }

    /**
     * The volume for any schedule: per parameter {@code gathers[i]} all-gathers and one reduce-scatter.
     *
     * @param params  the parameters
     * @param gathers all-gathers of each parameter in the step (same order)
     */
    public static long perStep(List<ParamSpec> params, int[] gathers, int worldSize) {
        if (gathers.length != params.size()) {
            throw new IllegalArgumentException("gathers has " + gathers.length + " entries for " + params.size()
                    + " parameters");
        }
        long v = 0;
        for (int i = 0; i < gathers.length; i++) {
            v += (gathers[i] + 1L) * perCollective(params.get(i).numel(), worldSize);
        }
        return v;
    }
}
