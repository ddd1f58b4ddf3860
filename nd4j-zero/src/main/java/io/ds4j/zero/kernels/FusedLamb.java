package io.ds4j.zero.kernels;

import java.util.List;

import io.ds4j.zero.shard.Range;

/**
 * Lamb as DeepSpeed's FusedLamb computes it (csrc/lamb/fused_lamb_cuda_kernel.cu, eps outside the square root, the
 * default {@code eps_inside_sqrt=false}), per tensor, with {@code g} the gradient times the multiplier:
 * <pre>
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   u = m / (sqrt(v) + eps) + weight_decay * p                    (uncorrected moments)
 *   ratio = clamp(||p|| / ||u||, min_coeff, max_coeff), or 1 when either norm is 0
 *   p = p - step_size * ratio * u,   step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t)  (lr without correction)
 * </pre>
 * Norms are per tensor: {@link #step} treats the whole buffer as one tensor, {@link #stepTensors} takes the tensors'
 * ranges. When a tensor is split across ranks, use the two passes: {@link #norms} on each rank's part, all-reduce the
 * two squared norms, {@link LambCoefficients#trustRatio}, then {@link #apply}. State order:
 * {@code [exp_avg, exp_avg_sq]}.
 *
 * @param betas          (beta1, beta2)
 * @param eps            added to {@code sqrt(v)}, {@code >= 0}
 * @param weightDecay    {@code >= 0}, added to the update
 * @param biasCorrection DeepSpeed's {@code bias_correction} (default true)
 * @param coefficients   trust-ratio bounds
 */
public record FusedLamb(Betas betas, float eps, float weightDecay, boolean biasCorrection,
        LambCoefficients coefficients) implements FusedOptimizer {
    /** Validates the hyper-parameters. */
    public FusedLamb {
        java.util.Objects.requireNonNull(betas, "betas");
        java.util.Objects.requireNonNull(coefficients, "coefficients");
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("optimizer.params.eps must be finite and >= 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.params.weight_decay must be finite and >= 0, got "
                    + weightDecay);
        }
    }

    /** DeepSpeed's FusedLamb defaults: betas (0.9, 0.999), eps 1e-8, no weight decay, bias correction, (10, 0.01). */
    public static FusedLamb deepSpeedDefaults() {
        return new FusedLamb(Betas.DEFAULT, 1e-8f, 0f, true, LambCoefficients.DEFAULT);
    }

    @Override
    public String name() {
        return "Lamb";
    }

    @Override
    public int stateWords() {
        return 2;
    }

    @Override
    public void step(OptimizerBuffers b, StepArgs args, KernelPool pool) {
        stepTensors(b, args, pool, List.of(new Range(0, b.length())));
    }

    /** One update where each range of {@code tensors} has its own trust ratio. */
    public void stepTensors(OptimizerBuffers b, StepArgs args, KernelPool pool, List<Range> tensors) {
        for (Range r : tensors) {
            double[] sq = norms(b, args, pool, r);
            apply(b, args, pool, r, coefficients.trustRatio(sq[0], sq[1]));
        }
    }

    /**
     * First pass over one tensor (or a rank's part of it): updates the moments and returns
     * {@code {||p||^2, ||u||^2}} of this range.
     */
    public double[] norms(OptimizerBuffers b, StepArgs args, KernelPool pool, Range tensor) {
        TileDriver.checkState(this, b);
        return TileDriver.run(b, tensor.offset(), tensor.length(), args.gradMultiplier(), pool,
                new Tile.Access(true, false, true), 2, this::moments);
    }

    /** Second pass: {@code p = p - step_size * ratio * u} over the range, writing the compute copy. */
    public void apply(OptimizerBuffers b, StepArgs args, KernelPool pool, Range tensor, float ratio) {
        TileDriver.checkState(this, b);
        double stepSize = args.lr();
        if (biasCorrection) {
            stepSize = args.lr() * Math.sqrt(1 - Math.pow(betas.beta2(), args.step()))
                    / (1 - Math.pow(betas.beta1(), args.step()));
        }
        float scaled = (float) stepSize * ratio;
        TileDriver.run(b, tensor.offset(), tensor.length(), 1f, pool, new Tile.Access(false, true, false), 0,
                (t, acc) -> update(t, scaled));
    }

    private void moments(Tile t, double[] acc) {
        final float b1 = betas.beta1();
        final float b2 = betas.beta2();
        final float[] g = t.g;
        final float[] p = t.p;
        final float[] m = t.s[0];
        final float[] v = t.s[1];
        double ww = 0;
        double uu = 0;
        final float gm = t.gmul;
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float grad = g[i] * gm;
            float param = p[i];
            float mom = b1 * m[i] + (1 - b1) * grad;
            float var = b2 * v[i] + (1 - b2) * grad * grad;
            float u = mom / ((float) Math.sqrt(var) + eps) + weightDecay * param;
            m[i] = mom;
            v[i] = var;
            ww += (double) param * param;
            uu += (double) u * u;
        }
        acc[0] += ww;
        acc[1] += uu;
    }

    private void update(Tile t, float scaledStep) {
        final float[] p = t.p;
        final float[] m = t.s[0];
        final float[] v = t.s[1];
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float param = p[i];
            float u = m[i] / ((float) Math.sqrt(v[i]) + eps) + weightDecay * param;
            p[i] = param - scaledStep * u;
        }
    }
}
