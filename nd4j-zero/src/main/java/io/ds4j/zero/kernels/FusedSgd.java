package io.ds4j.zero.kernels;

/**
 * SGD with PyTorch's semantics ({@code torch.optim.SGD}, which DeepSpeed uses for {@code "type": "SGD"}), per element
 * with {@code g} the gradient times the multiplier and state {@code buf = momentum_buffer}:
 * <pre>
 *   d = g + weight_decay * p
 *   if momentum != 0:
 *       buf = (t == 1) ? d : momentum * buf + (1 - dampening) * d
 *       d   = nesterov ? d + momentum * buf : buf
 *   p = p - lr * d
 * </pre>
 * State order: {@code [momentum_buffer]} when momentum is non-zero, none otherwise.
 *
 * @param momentum    {@code >= 0}
 * @param dampening   dampening of the momentum, {@code >= 0}
 * @param nesterov    Nesterov momentum; needs {@code momentum > 0} and {@code dampening == 0} (as PyTorch)
 * @param weightDecay L2 penalty added to the gradient, {@code >= 0}
 */
public record FusedSgd(float momentum, float dampening, boolean nesterov, float weightDecay)
        implements FusedOptimizer {
    /** Validates the hyper-parameters, naming PyTorch's keys. */
    public FusedSgd {
        if (!(momentum >= 0) || Float.isInfinite(momentum)) {
            throw new IllegalArgumentException("optimizer.params.momentum must be finite and >= 0, got " + momentum);
        }
        if (!(dampening >= 0) || Float.isInfinite(dampening)) {
            throw new IllegalArgumentException("optimizer.params.dampening must be finite and >= 0, got "
                    + dampening);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.params.weight_decay must be finite and >= 0, got "
                    + weightDecay);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("optimizer.params.nesterov=true requires momentum > 0 and dampening"
                    + " = 0, got momentum " + momentum + ", dampening " + dampening);
        }
    }

    @Override
    public String name() {
        return "SGD";
    }

    @Override
    public int stateWords() {
        return momentum != 0 ? 1 : 0;
    }

    @Override
    public void step(OptimizerBuffers b, StepArgs args, KernelPool pool) {
        TileDriver.checkState(this, b);
        boolean first = args.step() == 1;
        float lr = args.lr();
        TileDriver.run(b, 0, b.length(), args.gradMultiplier(), pool, Tile.Access.FULL, 0,
                (t, acc) -> tile(t, lr, first));
    }

    private void tile(Tile t, float lr, boolean first) {
        final float mu = momentum;
        final float keep = 1 - dampening;
        final float wd = weightDecay;
        final boolean withMomentum = mu != 0;
        final float[] g = t.g;
        final float[] p = t.p;
        final float[] buf = t.s[0];
        final float gm = t.gmul;
        final int end = t.off + t.len;
        for (int i = t.off; i < end; i++) {
            float param = p[i];
            float d = g[i] * gm + wd * param;
            if (withMomentum) {
                float bb = first ? d : mu * buf[i] + keep * d;
                buf[i] = bb;
                d = nesterov ? d + mu * bb : bb;
            }
            p[i] = param - lr * d;
        }
    }
}
