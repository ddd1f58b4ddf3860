package io.ds4j.zero.kernels;

/**
 * Adagrad as DeepSpeed's CPU Adagrad computes it (csrc/adagrad/cpu_adagrad.cpp), per element with {@code g} the
 * gradient times the multiplier and state {@code v = exp_avg_sq} (starting at 0):
 * <pre>
 *   d = (weight_decay &gt; 0) ? g + weight_decay * p : g
 *   v = v + d * d
 *   p = p - lr * g / (sqrt(v) + eps)
 * </pre>
 * Note DeepSpeed's numerator is the raw gradient {@code g}, not the decayed {@code d}; weight decay only enters the
 * accumulator. There is no learning-rate decay and no initial accumulator value, as in DeepSpeed. State order:
 * {@code [exp_avg_sq]}.
 *
 * @param eps         added to the denominator, {@code >= 0}
 * @param weightDecay {@code >= 0}
 */
public record FusedAdagrad(float eps, float weightDecay) implements FusedOptimizer {
    /** Validates the hyper-parameters. */
    public FusedAdagrad {
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("optimizer.params.eps must be finite and >= 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.params.weight_decay must be finite and >= 0, got "
                    + weightDecay);
        }
    }

    @Override
    public String name() {
        return "Adagrad";
    }

    @Override
    public int stateWords() {
        return 1;
    }

    @Override
    public void step(OptimizerBuffers b, StepArgs args, KernelPool pool) {
        TileDriver.checkState(this, b);
        float stepSize = -args.lr();
        TileDriver.run(b, 0, b.length(), args.gradMultiplier(), pool, Tile.Access.FULL, 0,
                (t, acc) -> tile(t, stepSize));
    }

    private void tile(Tile t, float stepSize) {
        final float wd = weightDecay;
        final boolean decay = wd > 0;
        final float e = eps;
        final float[] g = t.g;
        final float[] p = t.p;
        final float[] v = t.s[0];
        final float gm = t.gmul;
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float raw = g[i] * gm;
            float param = p[i];
            float d = decay ? param * wd + raw : raw;
            float var = v[i] + d * d;
            p[i] = raw / ((float) Math.sqrt(var) + e) * stepSize + param;
            v[i] = var;
        }
    }
}
