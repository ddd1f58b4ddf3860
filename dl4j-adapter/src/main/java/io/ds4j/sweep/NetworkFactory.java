package io.ds4j.sweep;

import java.io.Serializable;
import org.deeplearning4j.nn.api.Model;

/**
 * Makes the network a candidate trains when the network itself is not searched: a fresh, initialised
 * {@code MultiLayerNetwork} or {@code ComputationGraph} per call (each candidate starts from the same weights when
 * the factory seeds them).
 */
@FunctionalInterface
public interface NetworkFactory extends Serializable {
    /** @return a new initialised network */
    Model create();
}
