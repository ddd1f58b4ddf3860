package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The task the mixed-precision tests share: twelve batches of 32 examples of three Gaussian blobs in 8 dimensions
 * ({@link #blobs}, seed 7), and all of them merged for scoring. Tests only read them.
 */
final class BlobTask {
    /** Examples per batch (one global batch per step). */
    static final int BATCH = 32;
    /** The batches, in order. */
    static final List<DataSet> BATCHES = List.copyOf(blobs(12, BATCH, 7));
    /** Every example, for the loss after training. */
    static final DataSet ALL = DataSet.merge(BATCHES);

    private BlobTask() {
    }

    /** Three Gaussian blobs in 8 dimensions, one-hot labels. */
    static List<DataSet> blobs(int batches, int batchSize, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[3][8];
        for (double[] c : centres) {
            for (int j = 0; j < 8; j++) {
                c[j] = r.nextGaussian();
            }
        }
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            float[][] x = new float[batchSize][8];
            float[][] y = new float[batchSize][3];
            for (int i = 0; i < batchSize; i++) {
                int k = r.nextInt(3);
                y[i][k] = 1f;
                for (int j = 0; j < 8; j++) {
                    x[i][j] = (float) (centres[k][j] + 0.8 * r.nextGaussian());
                }
            }
            out.add(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        return out;
    }
}
