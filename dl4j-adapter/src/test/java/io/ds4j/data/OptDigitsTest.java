package io.ds4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/** The shipped digits set loads whole, scaled and one-hot, and splits deterministically. */
class OptDigitsTest {
    @Test
    void loadsAllRowsScaledAndOneHot() {
        DataSet all = OptDigits.all();
        assertEquals(OptDigits.SIZE, all.numExamples());
        assertEquals(OptDigits.FEATURES, all.getFeatures().columns());
        assertTrue(all.getFeatures().minNumber().doubleValue() >= 0);
        assertTrue(all.getFeatures().maxNumber().doubleValue() <= 1);
        // every row has exactly one label set
        assertEquals(OptDigits.SIZE, all.getLabels().sumNumber().intValue());
        // the classes are roughly balanced (the UCI test set has 174..183 per digit)
        var perClass = all.getLabels().sum(0);
        for (int c = 0; c < OptDigits.CLASSES; c++) {
            assertTrue(perClass.getDouble(c) >= 170 && perClass.getDouble(c) <= 190, "class " + c);
        }
    }

    @Test
    void firstRowIsTheKnownZero() {
        // The first record of the UCI optdigits test file is a '0' whose first row of pixels is 0,0,5,13,9,1,0,0.
        DataSet all = OptDigits.all();
        assertEquals(1.0, all.getLabels().getDouble(0, 0));
        assertEquals(5 / 16.0, all.getFeatures().getDouble(0, 2), 1e-7);
        assertEquals(13 / 16.0, all.getFeatures().getDouble(0, 3), 1e-7);
    }

    @Test
    void splitIsDeterministicAndDisjointInSize() {
        DataSet[] a = OptDigits.split(1500, 42);
        DataSet[] b = OptDigits.split(1500, 42);
        assertEquals(1500, a[0].numExamples());
        assertEquals(297, a[1].numExamples());
        assertEquals(a[0].getFeatures(), b[0].getFeatures());
        assertThrows(IllegalArgumentException.class, () -> OptDigits.split(0, 1));
    }
}
