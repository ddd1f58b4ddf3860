package io.ds4j.dl4j.checkpoint;

import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint read and checked completely by {@link CheckpointReader}, not yet applied.
 *
 * @param folder the tag folder it came from
 * @param meta   the model-states header
 * @param full   the whole canonical vectors
 */
public record LoadedCheckpoint(Path folder, Map<String, String> meta, Map<String, float[]> full) {

    private static final System.Logger LOG = System.getLogger(LoadedCheckpoint.class.getName());

    /** @return the training position saved */
    public TrainingPosition position() {
        return new TrainingPosition(Integer.parseInt(meta.get("iteration")), Integer.parseInt(meta.get("epoch")),
                Long.parseLong(meta.get("batch_in_epoch")), Long.parseLong(meta.get("skipped_steps")),
                Long.parseLong(meta.get("rng_root")), Long.parseLong(meta.get("rng_node")));
    }

    /** @return the ZeRO stage and world size that saved it, e.g. {@code stage 2, 4 ranks} */
    public String savedLayout() {
        return "stage " + meta.get("stage") + ", " + meta.get("world_size") + " ranks";
    }

    /** @return the fp32 master weights over the flat parameter vector */
    public float[] master() {
        return full.get("master");
    }

    /**
     * Sets the engine's masters, compute copies, optimizer state and loss scale.
     *
     * @param target the engine (the one the checkpoint was checked against)
     */
    public void applyTo(EngineState target) {
        target.importShards(full);
        io.ds4j.precision.LossScale s = LossScaleCodec.get(meta, target.lossScale());
        if (s != null) {
            target.restoreLossScale(s);
        } else {
            LOG.log(System.Logger.Level.WARNING, folder + ": saved with loss scale kind " + meta.get("loss_scale.kind")
                    + ", this run uses another 16-bit setting; its loss scale starts afresh");
        }
    }
}
