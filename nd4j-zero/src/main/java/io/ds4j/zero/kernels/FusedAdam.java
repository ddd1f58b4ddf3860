package io.ds4j.zero.kernels;

/**
 * Adam and AdamW as DeepSpeed's CPU Adam computes them (csrc/adam/cpu_adam_impl.cpp), per element, with
 * {@code g} the gradient times the gradient multiplier, state {@code m = exp_avg}, {@code v = exp_avg_sq}:
 * <pre>
 *   if (weight_decay &gt; 0 &amp;&amp; !adam_w_mode)  g = g + weight_decay * p          (L2, classic Adam)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps                           (eps outside the bias correction)
 *   if (weight_decay &gt; 0 &amp;&amp; adam_w_mode)   p = p - lr * weight_decay * p  (decoupled, AdamW)
 *   p = p - lr / (1 - beta1^t) * m / denom
 * </pre>
 * Without bias correction both corrections are 1. Note where eps sits: DeepSpeed adds it to
 * {@code sqrt(v) / sqrt(1 - beta2^t)}, as PyTorch's Adam does. AMSGrad is not supported (DeepSpeed's CPU Adam refuses
 * it too). State order: {@code [exp_avg, exp_avg_sq]}.
 *
 * @param betas          (beta1, beta2)
 * @param eps            added to the denominator, {@code >= 0}
 * @param weightDecay    {@code >= 0}; L2 or decoupled according to {@code adamWMode}
 * @param adamWMode      DeepSpeed's {@code adam_w_mode} (default true)
 * @param biasCorrection DeepSpeed's {@code bias_correction} (default true)
 */
public record FusedAdam(Betas betas, float eps, float weightDecay, boolean adamWMode, boolean biasCorrection)
        implements FusedOptimizer {
    /** Validates the hyper-parameters, naming DeepSpeed's key. */
    public FusedAdam {
        java.util.Objects.requireNonNull(betas, "betas");
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("optimizer.params.eps must be finite and >= 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.params.weight_decay must be finite and >= 0, got "
                    + weightDecay);
        }
    }

    /** DeepSpeed's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0, adam_w_mode and bias correction on. */
    public static FusedAdam deepSpeedDefaults() {
        return new FusedAdam(Betas.DEFAULT, 1e-8f, 0f, true, true);
    }

    @Override
    public String name() {
        return adamWMode ? "AdamW" : "Adam";
    }

    @Override
    public int stateWords() {
        return 2;
    }

    @Override
    public void step(OptimizerBuffers b, StepArgs args, KernelPool pool) {
        TileDriver.checkState(this, b);
        double bc1 = biasCorrection ? 1 - Math.pow(betas.beta1(), args.step()) : 1;
        double bc2 = biasCorrection ? 1 / Math.sqrt(1 - Math.pow(betas.beta2(), args.step())) : 1;
        float stepSize = (float) (-args.lr() / bc1);
        float decay = -args.lr() * weightDecay;
        float bc2f = (float) bc2;
        TileDriver.run(b, 0, b.length(), args.gradMultiplier(), pool, Tile.Access.FULL, 0,
                (t, acc) -> tile(t, stepSize, decay, bc2f));
    }

    private void tile(Tile t, float stepSize, float decay, float bc2) {
        final float b1 = betas.beta1();
        final float b2 = betas.beta2();
        final float b1m = 1 - b1;
        final float b2m = 1 - b2;
        final float e = eps;
        final float wd = weightDecay;
        final boolean l2 = wd > 0 && !adamWMode;
        final boolean decoupled = wd > 0 && adamWMode;
        final float[] g = t.g;
        final float[] p = t.p;
        final float[] m = t.s[0];
        final float[] v = t.s[1];
        final float gm = t.gmul;
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float grad = g[i] * gm;
            float param = p[i];
            if (l2) {
                grad = param * wd + grad;
            }
            float mom = m[i] * b1 + grad * b1m;
            float var = v[i] * b2 + grad * grad * b2m;
            float update = mom / ((float) Math.sqrt(var) * bc2 + e);
            if (decoupled) {
                param += decay * param;
            }
            p[i] = update * stepSize + param;
            m[i] = mom;
            v[i] = var;
        }
    }
}
