package io.ds4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.util.ModelSerializer;

/**
 * What the launcher tests compare against: {@code ds4j train --world-size 2 --steps 3}, ranks as threads of this JVM,
 * trained once per test JVM.
 */
final class ThreadReference {
    private static float[] params;

    private ThreadReference() {
    }

    /** The final parameters of the 2-thread run. */
    static synchronized float[] params() throws Exception {
        if (params == null) {
            Path dir = Files.createTempDirectory("ds4j-threads");
            Path model = dir.resolve("threads.zip");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.standard().run(List.of("train", "--world-size", "2", "--steps", "3", "--out",
                    model.toString()), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
            if (status != 0) {
                throw new AssertionError("the thread run failed: " + err.toString(StandardCharsets.UTF_8));
            }
            params = ModelSerializer.restoreComputationGraph(model.toFile()).params().toFloatVector();
            Files.delete(model);
            Files.delete(dir);
        }
        return params.clone();
    }
}
