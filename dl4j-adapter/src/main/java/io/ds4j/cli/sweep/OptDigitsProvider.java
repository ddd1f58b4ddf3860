package io.ds4j.cli.sweep;

import io.ds4j.cli.train.StepBatchIterator;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.data.OptDigits;
import io.ds4j.sweep.ZeroTrainerTaskCreator;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * An Arbiter {@link DataProvider} of the shipped OptDigits images, split as {@code ds4j train} splits them
 * ({@value TrainJob#TRAIN_SIZE} training, the rest test, seed {@value TrainJob#SEED}). Training data: exactly
 * {@code steps} global batches of the candidate's {@code train_batch_size} ({@link StepBatches}), or, when the
 * candidate's configuration leaves it {@code "auto"}, of {@value TrainJob#AUTO_MICRO_BATCH} examples per rank. Test
 * data: the whole test split as one batch.
 */
public final class OptDigitsProvider implements DataProvider {
    private static final long serialVersionUID = 1L;
    private final int steps;
    private transient DataSet[] split;

    /** @param steps optimizer steps each candidate trains, at least 1 */
    public OptDigitsProvider(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps: " + steps + " is not allowed; use at least 1");
        }
        this.steps = steps;
    }

    /** @return the optimizer steps each candidate trains */
    public int steps() {
        return steps;
    }

    @Override
    public DataSetIterator trainData(Map<String, Object> dataParameters) {
        Object b = dataParameters == null ? null : dataParameters.get(ZeroTrainerTaskCreator.TRAIN_BATCH_SIZE);
        Object w = dataParameters == null ? null : dataParameters.get(ZeroTrainerTaskCreator.WORLD_SIZE);
        int worldSize = w instanceof Number n ? n.intValue() : 1;
        int batch = b instanceof Number n ? Math.toIntExact(n.longValue()) : TrainJob.AUTO_MICRO_BATCH * worldSize;
        return new StepBatchIterator(split()[0], batch, steps, TrainJob.SEED);
    }

    @Override
    public DataSetIterator testData(Map<String, Object> dataParameters) {
        return new ExistingDataSetIterator(List.of(split()[1]));
    }

    @Override
    public Class<?> getDataType() {
        return DataSetIterator.class;
    }

    private synchronized DataSet[] split() {
        if (split == null) {
            split = OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED);
        }
        return split;
    }
}
