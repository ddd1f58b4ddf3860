package io.ds4j.cli.bench;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;

/**
 * The part of a ZeRO-3 rank's memory that does not shrink with the world size N, as the stage-3 knobs bound it (fp32,
 * no offload), the counterpart of DeepSpeed's {@code largest_layer_memory} in
 * {@code estimate_zero3_model_states_mem_needs} ({@code largest_layer_memory + 18Ψ/N} in mixed precision; here
 * {@code fixed + 16Ψ/N} with fp32 Adam). Computed from the network's configuration and the knobs, never read from the
 * trainer, so that the bench's "expected" is not the code's own measurement:
 * <ul>
 *   <li><b>gradient scratch</b>: the largest layer's gradients, {@code 4 B x layer} (the backward writes each layer's
 *       gradient there, and it is reduce-scattered from there);</li>
 *   <li><b>transient pool</b>: the most held at once of (a) the gathered parameters, which the layer computes on,
 *       the module being run plus what {@code stage3_max_live_parameters} lets stay gathered, at most
 *       {@code max(layer, max_live)}, and (b) a gradient tensor's shard out of the reduce-scatter,
 *       {@code ceil(tensor / N)} ((a) is released before (b) is taken). With (a) at least one layer, scratch and
 *       pool are DeepSpeed's {@code largest_layer_memory}, the largest layer's parameters and gradients;</li>
 *   <li><b>persistent parameters</b>: tensors below {@code stage3_param_persistence_threshold} elements stay gathered
 *       in full.</li>
 * </ul>
 * Not in it, as not in DeepSpeed's estimate: the activations of a micro-batch (16 examples here: under 1 MiB) and the
 * transport's own buffers.
 */
public final class Stage3FixedPart {
    /** {@code stage3_max_live_parameters} of the probes ({@link ProbeSetup#STAGE3_KNOBS}). */
    static final long MAX_LIVE = 1_000_000;
    /** {@code stage3_param_persistence_threshold} of the probes ({@link ProbeSetup#STAGE3_KNOBS}). */
    static final long PERSISTENCE = 10_000;

    private Stage3FixedPart() {
    }

    /**
     * The terms, in bytes.
     *
     * @param scratch    the largest layer's gradients
     * @param pool       the most transient buffers held at once
     * @param persistent the persistent parameters, gathered in full
     */
    public record Terms(long scratch, long pool, long persistent) {
        /** @return the fixed part */
        public long total() {
            return scratch + pool + persistent;
        }
    }

    /**
     * @param conf a network of dense layers ({@link FeedForwardLayer}s with a weight and a bias each)
     * @param n    the world size
     * @return the fixed part per rank for the probes' knobs
     */
    public static Terms of(MultiLayerConfiguration conf, int n) {
        long layer = 0;
        long tensor = 0;
        long persistent = 0;
        for (NeuralNetConfiguration c : conf.getConfs()) {
            if (!(c.getLayer() instanceof FeedForwardLayer f)) {
                throw new IllegalArgumentException("layer " + c.getLayer().getLayerName() + ": "
                        + c.getLayer().getClass().getSimpleName() + " is not a dense layer; the fixed part is worked"
                        + " out for dense layers only");
            }
            long w = f.getNIn() * f.getNOut();
            long b = f.getNOut();
            layer = Math.max(layer, w + b);
            tensor = Math.max(tensor, Math.max(w, b));
            persistent += (w < PERSISTENCE ? w : 0) + (b < PERSISTENCE ? b : 0);
        }
        long gathered = Math.max(layer, MAX_LIVE);
        long shard = (tensor + n - 1) / n;
        return new Terms((long) Float.BYTES * layer, (long) Float.BYTES * Math.max(gathered, shard),
                (long) Float.BYTES * persistent);
    }
}
