package io.ds4j.dl4j.zoo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Random batches shaped for the zoo models: images with one-hot classes, one-hot character sequences. */
final class ZooData {

    private ZooData() {
    }

    /**
     * @param shape one example's feature shape ({@code {c, h, w}} or {@code {n}} for flat input)
     * @return {@code batches} batches of {@code size} examples, Gaussian features, one-hot labels over {@code classes}
     */
    static List<DataSet> images(int batches, int size, int[] shape, int classes, long seed) {
        Random r = new Random(seed);
        long[] fs = new long[shape.length + 1];
        fs[0] = size;
        int per = 1;
        for (int i = 0; i < shape.length; i++) {
            fs[i + 1] = shape[i];
            per *= shape[i];
        }
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            float[] f = new float[size * per];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextGaussian();
            }
            float[] l = new float[size * classes];
            for (int n = 0; n < size; n++) {
                l[n * classes + r.nextInt(classes)] = 1f;
            }
            out.add(new DataSet(Nd4j.create(f, fs), Nd4j.create(l, new long[] {size, classes})));
        }
        return out;
    }

    /** One-hot characters {@code [size, chars, steps]}; the label at each step is a random next character. */
    static List<DataSet> text(int batches, int size, int chars, int steps, long seed) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            float[] f = new float[size * chars * steps];
            float[] l = new float[size * chars * steps];
            for (int n = 0; n < size; n++) {
                for (int t = 0; t < steps; t++) {
                    f[(n * chars + r.nextInt(chars)) * steps + t] = 1f;
                    l[(n * chars + r.nextInt(chars)) * steps + t] = 1f;
                }
            }
            out.add(new DataSet(Nd4j.create(f, new long[] {size, chars, steps}),
                    Nd4j.create(l, new long[] {size, chars, steps})));
        }
        return out;
    }
}
