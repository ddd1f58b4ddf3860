package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code ds4j validate} contract: exit codes, stdout JSON, {@code warning:}/{@code error:} lines on stderr. */
class ValidateCommandTest extends CliHarness {
    @TempDir
    Path dir;

    private String file(String json) throws IOException {
        Path f = dir.resolve("ds_config.json");
        Files.writeString(f, json);
        return f.toString();
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void validConfigPrintsTheResolvedTriadAtTheTopAndWarnings() throws IOException {
        String f = file("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 4, \"wandb\": {}}");
        assertEquals(0, run("validate", "--world-size", "2", f), stderr());
        JsonNode j = new ObjectMapper().readTree(stdout());
        // 32 // 4 // 2 = 4 accumulation steps
        assertEquals(32, j.get("train_batch_size").asInt());
        assertEquals(4, j.get("train_micro_batch_size_per_gpu").asInt());
        assertEquals(4, j.get("gradient_accumulation_steps").asInt());
        assertEquals("train_batch_size", j.fieldNames().next());
        assertEquals(1.0, j.get("gradient_clipping").asDouble());
        assertEquals(0, j.get("zero_optimization").get("stage").asInt());
        assertTrue(stderr().startsWith("warning: wandb: "), stderr());
    }

    @Test
    void worldSizeDefaultsToOneAndAutoStaysAuto() throws IOException {
        String f = file("{\"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": 2}");
        assertEquals(0, run("validate", f), stderr());
        JsonNode j = new ObjectMapper().readTree(stdout());
        assertEquals("auto", j.get("train_micro_batch_size_per_gpu").asText());
        assertEquals("auto", j.get("train_batch_size").asText());
        assertEquals(2, j.get("gradient_accumulation_steps").asInt());
        assertEquals("", stderr());
    }

    @Test
    void invalidConfigExitsTwoWithThePath() throws IOException {
        String f = file("{\"train_batch_size\": 8, \"zero_optimization\": {\"stage\": 5}}");
        assertEquals(2, run("validate", f));
        assertTrue(stderr().startsWith("error: zero_optimization.stage: "), stderr());
        assertEquals("", stdout());
    }

    @Test
    void batchTriadThatFailsOnlyAtThisWorldSizeExitsTwo() throws IOException {
        String f = file("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 32}");
        assertEquals(0, run("validate", f));
        out.reset();
        assertEquals(2, run("validate", "--world-size=2", f));
        assertTrue(stderr().startsWith("error: gradient_accumulation_steps: "), stderr());
    }

    @Test
    void malformedJsonNamesLineAndColumn() throws IOException {
        String f = file("{\n  \"train_batch_size\": 8\n  \"fp16\": {}\n}");
        assertEquals(2, run("validate", f));
        assertTrue(stderr().startsWith("error: $: malformed JSON at line 3, column"), stderr());
    }

    @Test
    void missingFileExitsTwo() {
        assertEquals(2, run("validate", dir.resolve("nope.json").toString()));
        assertTrue(stderr().contains("no such file"), stderr());
    }

    @Test
    void badArgumentsAreUsageErrors() throws IOException {
        assertEquals(2, run("validate"));
        assertTrue(stderr().contains("missing CONFIG.json"), stderr());
        err.reset();
        assertEquals(2, run("validate", "--world-size", "0", file("{}")));
        assertTrue(stderr().contains("--world-size"), stderr());
    }
}
