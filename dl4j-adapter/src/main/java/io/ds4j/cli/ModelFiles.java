package io.ds4j.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

/** Reads the DL4J ModelSerializer zips the commands accept ({@code estimate --model}, a sweep's {@code model}). */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * @param file a MultiLayerNetwork or ComputationGraph zip
     * @param what how the user named it, for the error ({@code --model}, {@code model})
     * @return the network, without updater state
     * @throws IllegalArgumentException when the file is missing or not such a zip
     */
    public static Model load(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + ": " + file + " is not a file");
        }
        File f = file.toFile();
        try {
            return ModelSerializer.restoreMultiLayerNetwork(f, false);
        } catch (Exception notMln) {
            try {
                return ModelSerializer.restoreComputationGraph(f, false);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(what + ": " + file + " is neither a MultiLayerNetwork nor a "
                        + "ComputationGraph ModelSerializer zip (" + e.getMessage() + ")");
            }
        }
    }
}
