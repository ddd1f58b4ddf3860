package io.ds4j.dl4j.checkpoint;

import io.ds4j.precision.LossScale;
import java.util.List;
import java.util.Map;

/**
 * The seam between a training engine and its checkpoints: the engine's sharded state as pieces of <b>canonical
 * vectors</b>, which do not depend on the world size or the ZeRO stage, so that a checkpoint saved by N ranks loads
 * into M ranks at another stage (resharding happens here, at load, by concatenating pieces and re-splitting).
 *
 * <p>Canonical vectors: {@code master}, the fp32 master weights over DL4J's flat parameter vector; with the network's
 * own DL4J updaters, {@code updater_state}, DL4J's updater state vector laid out as the network's own updater lays it
 * out (so it can go back into a plain DL4J updater); with a DeepSpeed {@code optimizer} section, {@code state.0},
 * {@code state.1}, ... the fused kernel's state words (Adam: exp_avg, exp_avg_sq), each over the flat vector.
 *
 * <p>Call order: between optimizer steps only (never while a step runs on another thread), on the thread that owns
 * the engine; {@link #importShards} only after every file has been read and checked, so a failed load touches
 * nothing.
 */
public interface EngineState {

    /** The canonical vector of the fp32 master weights. */
    String MASTER = "master";

    /** The canonical vector of the network's own DL4J updater state. */
    String UPDATER_STATE = "updater_state";

    /**
     * @param w a fused kernel's state word (Adam: 0 exp_avg, 1 exp_avg_sq)
     * @return the name of its canonical vector
     */
    static String stateWord(int w) {
        return "state." + w;
    }

    /** @return the ZeRO stage the engine runs */
    int stage();

    /** @return the number of ranks */
    int worldSize();

    /**
     * @return what owns the optimizer state: {@code dl4j-updaters} for the network's own DL4J updaters, or
     *         {@code deepspeed:<kernel>:<state words>} for a DeepSpeed {@code optimizer} section; a checkpoint loads
     *         only into an engine of the same kind
     */
    String optimizerKind();

    /** @return each canonical vector's name and its whole length */
    Map<String, Long> vectorLengths();

    /** @return every rank's pieces, index r for rank r (copies: later steps do not change them) */
    List<RankShard> exportShards();

    /**
     * Sets every rank's master, compute copy and optimizer state from the whole canonical vectors.
     *
     * @param full vector name to its whole values, as {@link #vectorLengths()} says
     */
    void importShards(Map<String, float[]> full);

    /** @return the loss scale of the next step (every rank's is the same) */
    LossScale lossScale();

    /** @param scale the loss scale every rank takes for the next step */
    void restoreLossScale(LossScale scale);
}
