package io.ds4j.dl4j.precision;

/**
 * A micro-batch's share of its global batch, for the stored (16-bit, micro-batch-mean) gradients of fp16 and bf16.
 * The engines average the {@code parts = world size x gradient_accumulation_steps} stored gradients of a step; when
 * the global batch of {@code examples} does not divide evenly (a short last batch), each micro-batch mean is first
 * multiplied by {@code m x parts / examples} ({@code m} its examples), so the average is the gradient of the mean
 * loss over the global batch with every example weighted alike, as fp32 computes it. The factor is applied in fp32
 * after the 16-bit rounding (the rounding point stays DeepSpeed's) and is exactly 1 when the batch divides evenly,
 * so even splits are unchanged bit for bit.
 */
public final class ExampleWeight {

    private ExampleWeight() {
    }

    /**
     * @param microBatch examples in the micro-batch
     * @param parts      micro-batches in the step, over all ranks
     * @param examples   examples in the global batch
     * @return {@code microBatch x parts / examples}
     */
    public static double of(long microBatch, int parts, long examples) {
        if (microBatch < 1 || parts < 1 || examples < 1) {
            throw new IllegalArgumentException("micro-batch " + microBatch + ", parts " + parts + ", examples "
                    + examples + ": all must be >= 1");
        }
        return microBatch * (double) parts / examples;
    }

    /** Multiplies {@code g[0, n)} by {@code weight} (nothing when it is 1). */
    public static void apply(float[] g, int n, double weight) {
        if (weight == 1.0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            g[i] = (float) (g[i] * weight);
        }
    }
}
