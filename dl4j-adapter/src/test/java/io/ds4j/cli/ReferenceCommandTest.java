package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ds4j reference}: writes the page, {@code --check} tells a stale page by its exit code, errors exit 2. */
class ReferenceCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.standard().run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void writesThePageAndChecksIt(@TempDir Path dir) throws IOException {
        Path template = dir.resolve("t.md");
        Path page = dir.resolve("page.md");
        Files.writeString(template, "# Keys\n\n| key | default | what ds4j does |\n|---|---|---|\n"
                + "| `gradient_clipping` | | (clips) |\n");
        assertEquals(0, run("reference", "--template", template.toString(), "--out", page.toString()));
        String written = Files.readString(page);
        assertTrue(written.contains("| `gradient_clipping` | `1.0` | yes | **used** (clips) |"), written);
        assertEquals(0, run("reference", "--check", "--template", template.toString(), "--out", page.toString()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("is up to date"));

        Files.writeString(page, written.replace("(clips)", "(edited by hand)"));
        assertEquals(1, run("reference", "--check", "--template", template.toString(), "--out", page.toString()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("run bin/ds4j reference"));
    }

    @Test
    void aMissingTemplateOrAnUnknownKeyExitsTwoNamingIt(@TempDir Path dir) throws IOException {
        assertEquals(2, run("reference", "--template", dir.resolve("none.md").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("none.md not found"), err.toString());
        Path template = dir.resolve("t.md");
        Files.writeString(template, "| key | default | what ds4j does |\n|---|---|---|\n| `gradient_clippin` | | |\n");
        assertEquals(2, run("reference", "--template", template.toString(), "--out", dir.resolve("p.md").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("`gradient_clippin` is not a key the reader accepts"),
                err.toString());
        assertEquals(2, run("reference", "--out"));
    }
}
