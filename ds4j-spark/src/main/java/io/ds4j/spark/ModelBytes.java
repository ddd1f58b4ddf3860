package io.ds4j.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/** ModelSerializer bytes, both ways: the driver's network to the ranks, rank 0's trained network to the driver. */
final class ModelBytes {
    private ModelBytes() {
    }

    static byte[] write(Model net) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(net, out, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize the network: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    static boolean isGraph(Model net) {
        return net instanceof ComputationGraph;
    }

    static Model read(byte[] bytes, boolean graph) {
        try {
            return graph ? ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true)
                    : ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the network's ModelSerializer bytes: " + e.getMessage(), e);
        }
    }
}
