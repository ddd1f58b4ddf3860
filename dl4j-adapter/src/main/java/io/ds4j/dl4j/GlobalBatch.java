package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.ResolvedBatch;
import java.util.Optional;

/**
 * How a {@link ZeroTrainer} reads its iterator: every batch is one global batch of {@code train_batch_size}
 * examples, split into {@code world size x gradient_accumulation_steps} micro-batches of
 * {@code train_micro_batch_size_per_gpu} (DeepSpeed's {@code train = micro * accumulation * world}).
 *
 * <p>From a DeepSpeed file, {@code "auto"} values are resolved once, from the first global batch the trainer sees
 * ({@link DeepSpeedConfig#resolveGlobal}): an {@code "auto"} train batch size is that batch's size, and the micro
 * batch and accumulation follow by DeepSpeed's rules; a batch that cannot be split so is an error naming the key.
 * From {@link EngineOptions} alone there is no train batch size: any batch is split into
 * {@code world x accumulation} parts, the first ones one example larger when it does not divide.
 */
final class GlobalBatch {

    /**
     * The split in force.
     *
     * @param trainBatchSize examples every global batch but the last must have, 0 for any
     * @param accumulation micro-batches per rank per optimizer step
     * @param resolved the resolved triad, empty without a DeepSpeed file
     */
    record Split(long trainBatchSize, int accumulation, Optional<ResolvedBatch> resolved) {
    }

    private final DeepSpeedConfig config;
    private final int worldSize;
    private Split split;

    private GlobalBatch(DeepSpeedConfig config, int worldSize, Split split) {
        this.config = config;
        this.worldSize = worldSize;
        this.split = split;
    }

    /** The rule of a DeepSpeed file, resolved at the first batch. */
    static GlobalBatch of(DeepSpeedConfig config, int worldSize) {
        return new GlobalBatch(config, worldSize, null);
    }

    /** Programmatic options: any batch size, {@code accumulation} micro-batches per rank. */
    static GlobalBatch ofOptions(int accumulation) {
        return new GlobalBatch(null, 0, new Split(0, accumulation, Optional.empty()));
    }

    /**
     * @param firstBatch the size of the first global batch of this trainer (used only the first time)
     * @return the split in force
     */
    synchronized Split resolve(long firstBatch) {
        if (split == null) {
            ResolvedBatch r = config.resolveGlobal(worldSize, firstBatch);
            split = new Split(r.trainBatchSize().getAsLong(), (int) r.gradientAccumulationSteps().getAsLong(),
                    Optional.of(r));
        }
        return split;
    }

    /** @return the split once resolved, or null before the first batch */
    synchronized Split current() {
        return split;
    }
}
