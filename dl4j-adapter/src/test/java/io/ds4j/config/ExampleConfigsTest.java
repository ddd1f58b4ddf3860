package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The seed's example configs ({@code examples/configs/seed-*.json}) are valid at world size 1; their only warnings
 * name keys that change nothing in ds4j (they are typical DeepSpeed configs, kept as users write them).
 */
class ExampleConfigsTest {

    @Test
    void seedExamplesParseAndResolve() {
        List<Path> files = RepoFiles.seedExamples();
        assertTrue(files.size() >= 10, "expected the seed examples, found " + files);
        for (Path f : files) {
            DeepSpeedConfig c = DeepSpeedConfig.load(f);
            c.toJson(1);
            assertEquals(List.of(), c.warnings().stream().filter(w -> !w.contains(": accepted but ignored: "))
                    .toList(), f + ": only keys that change nothing in ds4j may warn");
        }
    }

    @Test
    void basicExampleIsFp16ZeroTwoWithItsTriad() {
        DeepSpeedConfig c = DeepSpeedConfig.load(
                RepoFiles.root().resolve("examples/configs/seed-basic-fp16-zero2.json"));
        assertTrue(c.fp16().enabled());
        assertEquals(2, c.zero().stage());
        assertEquals(ResolvedBatch.of(32, 32, 1, 1), c.resolve(1));
    }
}
