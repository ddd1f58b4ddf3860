package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates the repository root (the directory of the parent pom) and the real DeepSpeed configs shipped as test data. */
final class RepoFiles {
    private RepoFiles() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path pom = p.resolve("pom.xml");
            try {
                if (Files.isRegularFile(pom) && Files.readString(pom).contains("<artifactId>ds4j-parent</artifactId>")
                        && Files.readString(pom).contains("<modules>")) {
                    return p;
                }
            } catch (IOException e) {
                fail("cannot read " + pom + ": " + e);
            }
        }
        return fail("no parent pom (ds4j-parent with <modules>) above " + Path.of("").toAbsolutePath());
    }

    /**
     * {@code dl4j-adapter/src/test/resources/ds-configs}: the 61 real configs, inside the repository so that a fresh
     * clone's {@code mvn verify} finds them; their sources are listed in its {@code PROVENANCE.md}.
     */
    static Path realConfigs() {
        Path dir = root().resolve("dl4j-adapter").resolve("src").resolve("test").resolve("resources")
                .resolve("ds-configs");
        if (!Files.isDirectory(dir)) {
            fail("the real DeepSpeed configs are missing: expected the directory " + dir
                    + " (the 61 ds-/dse-/hf-/acc- JSON files and PROVENANCE.md, tracked in git)");
        }
        return dir;
    }

    /** The seed's example configs ({@code examples/configs/seed-*.json}); other examples belong to other programs. */
    static List<Path> seedExamples() {
        return jsonFiles(root().resolve("examples").resolve("configs")).stream()
                .filter(p -> p.getFileName().toString().startsWith("seed-")).toList();
    }

    static List<Path> jsonFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            return fail("cannot list " + dir + ": " + e);
        }
    }
}
