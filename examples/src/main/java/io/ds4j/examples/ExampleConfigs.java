package io.ds4j.examples;

import io.ds4j.config.DeepSpeedConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code examples/configs/<name>} from the repository root, the examples folder or below them. */
public final class ExampleConfigs {
    private ExampleConfigs() {
    }

    /**
     * @param name a file name in {@code examples/configs}
     * @return its path
     * @throws IllegalStateException when no such file is found above the working directory
     */
    public static Path path(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            for (Path candidate : new Path[] {p.resolve("examples/configs").resolve(name),
                    p.resolve("configs").resolve(name)}) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("examples/configs/" + name + " not found above " + Path.of("")
                .toAbsolutePath() + "; run the example from the repository root");
    }

    /**
     * @param name a file name in {@code examples/configs}
     * @return the parsed configuration
     */
    public static DeepSpeedConfig load(String name) {
        return DeepSpeedConfig.load(path(name));
    }
}
