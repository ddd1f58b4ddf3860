package io.ds4j.zero.kernels;

/**
 * Lion as DeepSpeed's CPU Lion computes it (csrc/lion/cpu_lion_impl.cpp), per element with {@code g} the gradient
 * times the multiplier and state {@code m = exp_avg}:
 * <pre>
 *   c = beta1 * m + (1 - beta1) * g
 *   p = p * (1 - lr * weight_decay) - lr * sign(c)       sign by copysign: sign(+0) = +1, sign(-0) = -1
 *   m = beta2 * m + (1 - beta2) * g
 * </pre>
 * State order: {@code [exp_avg]}.
 *
 * @param betas       (beta1, beta2); DeepSpeed's CPU Lion default is (0.9, 0.999)
 * @param weightDecay decoupled weight decay, {@code >= 0}
 */
public record FusedLion(Betas betas, float weightDecay) implements FusedOptimizer {
    /** Validates the hyper-parameters. */
    public FusedLion {
        java.util.Objects.requireNonNull(betas, "betas");
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.params.weight_decay must be finite and >= 0, got "
                    + weightDecay);
        }
    }

    @Override
    public String name() {
        return "Lion";
    }

    @Override
    public int stateWords() {
        return 1;
    }

    @Override
    public void step(OptimizerBuffers b, StepArgs args, KernelPool pool) {
        TileDriver.checkState(this, b);
        float lr = args.lr();
        float afterDecay = 1 - lr * weightDecay;
        TileDriver.run(b, 0, b.length(), args.gradMultiplier(), pool, Tile.Access.FULL, 0,
                (t, acc) -> tile(t, lr, afterDecay));
    }

    private void tile(Tile t, float lr, float afterDecay) {
        final float b1 = betas.beta1();
        final float b2 = betas.beta2();
        final float b1m = 1 - b1;
        final float b2m = 1 - b2;
        final boolean decay = weightDecay > 0;
        final float[] g = t.g;
        final float[] p = t.p;
        final float[] m = t.s[0];
        final float gm = t.gmul;
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float grad = g[i] * gm;
            float mom = m[i];
            float c = -Math.copySign(lr, mom * b1 + grad * b1m);
            float param = p[i];
            p[i] = decay ? param * afterDecay + c : param + c;
            m[i] = mom * b2 + grad * b2m;
        }
    }
}
