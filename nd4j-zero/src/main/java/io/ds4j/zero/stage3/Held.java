package io.ds4j.zero.stage3;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The bytes an ND4J array's data buffer holds (its length times its element width): what the ledger records. */
public final class Held {
    private Held() {
    }

    /** Bytes of {@code a}'s whole data buffer (a view counts the buffer it views). */
    public static long bytes(INDArray a) {
        return a.data().length() * a.data().getElementSize();
    }
}
