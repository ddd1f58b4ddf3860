package io.ds4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The UCI "Optical Recognition of Handwritten Digits" set (1797 images of 8×8 pixels, 10 classes, CC BY 4.0),
 * shipped as a resource. Features are scaled from 0..16 to 0..1 and laid out as a flat row of 64 values (use
 * {@code InputType.convolutionalFlat(8, 8, 1)} for a CNN); labels are one-hot over 10 classes.
 */
public final class OptDigits {
    /** Number of examples in the set. */
    public static final int SIZE = 1797;
    /** Pixels per image (8×8). */
    public static final int FEATURES = 64;
    /** Number of classes (digits 0..9). */
    public static final int CLASSES = 10;

    private static final String RESOURCE = "/io/ds4j/data/optdigits.csv.gz";

    private OptDigits() {
    }

    /** The whole set in file order. */
    public static DataSet all() {
        float[][] rows = read();
        INDArray x = Nd4j.create(rows.length, FEATURES);
        INDArray y = Nd4j.zeros(rows.length, CLASSES);
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x.putScalar(i, j, rows[i][j] / 16.0f);
            }
            y.putScalar(i, (int) rows[i][FEATURES], 1.0f);
        }
        return new DataSet(x, y);
    }

    /**
     * A deterministic split: the set shuffled with {@code seed}, the first {@code trainSize} examples for training and
     * the rest for testing.
     *
     * @return {@code [train, test]}
     */
    public static DataSet[] split(int trainSize, long seed) {
        if (trainSize <= 0 || trainSize >= SIZE) {
            throw new IllegalArgumentException("trainSize must be in [1, " + (SIZE - 1) + "], got " + trainSize);
        }
        DataSet all = all();
        all.shuffle(seed);
        return new DataSet[] {(DataSet) all.getRange(0, trainSize), (DataSet) all.getRange(trainSize, SIZE)};
    }

    /** An iterator over {@code data} in minibatches of {@code batchSize}, shuffled per epoch with {@code seed}. */
    public static DataSetIterator iterator(DataSet data, int batchSize, long seed) {
        List<DataSet> examples = data.asList();
        java.util.Collections.shuffle(examples, new Random(seed));
        return new ListDataSetIterator<>(examples, batchSize);
    }

    private static float[][] read() {
        try (InputStream raw = OptDigits.class.getResourceAsStream(RESOURCE)) {
            if (raw == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
                    StandardCharsets.US_ASCII));
            List<float[]> rows = new ArrayList<>(SIZE);
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    rows.add(parse(line, rows.size() + 1));
                }
            }
            if (rows.size() != SIZE) {
                throw new IllegalStateException(RESOURCE + " has " + rows.size() + " rows, expected " + SIZE);
            }
            return rows.toArray(new float[0][]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static float[] parse(String line, int lineNo) {
        String[] cells = line.split(",");
        if (cells.length != FEATURES + 1) {
            throw new IllegalStateException(RESOURCE + " line " + lineNo + ": " + cells.length + " cells, expected "
                    + (FEATURES + 1));
        }
        float[] row = new float[FEATURES + 1];
        for (int i = 0; i < cells.length; i++) {
            row[i] = Float.parseFloat(cells[i].trim());
        }
        return row;
    }
}
