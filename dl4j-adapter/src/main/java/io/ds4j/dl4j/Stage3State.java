package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.dl4j.checkpoint.RankShard;
import io.ds4j.dl4j.stage3.Stage3Trainer;
import io.ds4j.precision.LossScale;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint seam ({@link EngineState}) of a {@link ZeroTrainer} at stage 3: each rank's owned part of every
 * parameter tensor (a piece per tensor, at the tensor's place in DL4J's flat vector plus the rank's offset in it) of
 * the fp32 master and of the optimizer state, in the same canonical vectors stages 0-2 save, so that a checkpoint
 * moves between stage 3 and stages 0-2 and between world sizes, and {@code ds4j consolidate} reads it unchanged.
 *
 * @param trainer the stage-3 trainer
 * @param options the engine's options
 * @param layout  the network's flat layout (an un-initialised network's: the layout its {@code init()} would give)
 */
record Stage3State(Stage3Trainer trainer, EngineOptions options, FlatLayout layout) implements EngineState {

    @Override
    public int stage() {
        return 3;
    }

    @Override
    public int worldSize() {
        return trainer.worldSize();
    }

    @Override
    public String optimizerKind() {
        return TrainerState.optimizerKind(options, trainer.stateWords());
    }

    @Override
    public Map<String, Long> vectorLengths() {
        return TrainerState.vectorLengths(layout, options, trainer.stateWords());
    }

    @Override
    public List<RankShard> exportShards() {
        return trainer.exportShards();
    }

    @Override
    public void importShards(Map<String, float[]> full) {
        trainer.importShards(full);
    }

    @Override
    public LossScale lossScale() {
        return trainer.lossScale();
    }

    @Override
    public void restoreLossScale(LossScale scale) {
        trainer.restoreLossScale(scale);
    }
}
