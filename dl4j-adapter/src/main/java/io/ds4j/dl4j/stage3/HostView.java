package io.ds4j.dl4j.stage3;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Host-side NIO access to the FLOAT arrays a stage-3 rank owns (masters, accumulated gradients, the compute scratch),
 * which ND4J ops (DL4J updaters, layers) also read and write: the host copy is made current before the access and
 * marked as the newest after a write, as ND4J's GPU backends require. No-ops on the CPU backend.
 */
final class HostView {

    private HostView() {
    }

    /** The array's host buffer, current (element {@code k} of a whole array at index {@code k}). */
    static FloatBuffer of(INDArray a) {
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
        return a.data().asNioFloat();
    }

    /** After writing through {@link #of}: the host copy is the newest. */
    static void written(INDArray a) {
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }
}
