package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The site's configuration reference is what {@link ReferencePage} writes now from its template and the reader, and
 * the generator says what the reader does: a row per accepted key, verdicts probed, template mistakes named.
 */
class ConfigReferencePageTest {
    private static final String HEAD = "| key | default | what ds4j does |\n|---|---|---|\n";

    @Test
    void committedPageIsWhatTheGeneratorWritesNow() throws IOException {
        Path root = RepoFiles.root();
        Path template = root.resolve("site/reference/config-reference.template.md");
        String expected = ReferencePage.render(Files.readString(template), template.toString());
        String committed = Files.readString(root.resolve("site/docs/config-reference.md"));
        assertTrue(expected.equals(committed), "site/docs/config-reference.md is not what the reader and "
                + "site/reference/config-reference.template.md generate now (first difference at line "
                + firstDifference(expected, committed) + "); edit the template, not the page, then run "
                + "bin/ds4j reference from the repository root and commit both");
    }

    @Test
    void rowsCarryTheReadersVerdicts() {
        String page = ReferencePage.render("# T\n\n" + HEAD + "| `gradient_clipping` | | (clips) |\n"
                + "| `aio.block_size` | | |\n| `amp` | | |\n| `pipeline` | | |\n", "t.md");
        // DeepSpeed's gradient_clipping defaults to 1.0 and the Hugging Face integration fills it ("auto")
        assertTrue(page.contains("| `gradient_clipping` | `1.0` | yes | **used** (clips) |"), page);
        assertTrue(page.contains("| `aio.block_size` | `1048576` | no | **warning**: accepted but ignored"), page);
        assertTrue(page.contains("| `amp` | — | yes | **refused** for `{\"enabled\":true}`: amp.enabled: "),
                page);
        assertTrue(page.contains("| `pipeline` | — | no | **refused** whenever given: "), page);
        assertTrue(page.startsWith("# T\n\n<!-- Generated from t.md"), page);
    }

    @Test
    void everyAcceptedKeyGetsARowEvenWithoutATemplateRow() {
        String page = ReferencePage.render("# T\n\n" + HEAD + "| `gradient_clipping` | | |\n", "t.md");
        long rows = Arrays.stream(page.split("\n")).filter(l -> l.startsWith("| `")).count();
        assertEquals(AcceptedKeys.all().size(), rows);
        assertTrue(page.contains("## Keys without a description yet"), page);
        assertTrue(page.contains("| `zero_optimization.stage` | `0` | yes | **used** |"), page);
    }

    @Test
    void templateMistakesAreNamed() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () ->
                ReferencePage.render(HEAD + "| `zero_optimization.stag` | | |\n", "t.md"));
        assertTrue(unknown.getMessage().contains("t.md: `zero_optimization.stag` is not a key the reader accepts"),
                unknown.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () ->
                ReferencePage.render(HEAD + "| `gradient_clipping` | | |\n| `gradient_clipping` | | |\n", "t.md"));
        assertTrue(twice.getMessage().contains("has two rows"), twice.getMessage());
    }

    @Test
    void printedDefaultsDistinguishNullFromAbsent() {
        assertEquals(Optional.of(KeyProbe.NOT_SET), KeyProbe.printed("communication_data_type"));
        assertEquals(Optional.empty(), KeyProbe.printed("train_batch_size"));
    }

    private static int firstDifference(String a, String b) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) {
                return i + 1;
            }
        }
        return Math.min(x.length, y.length) + 1;
    }
}
