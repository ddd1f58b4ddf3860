package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many of the 61 real DeepSpeed configs ({@code src/test/resources/ds-configs}) {@code ds4j train} runs unchanged
 * on 2 ranks, counted by running each through the CLI in this JVM for one step ({@code --steps 1}: a config that
 * trains one step trains any number; the refusals all come before the first step). Every other config must be
 * refused with exit code 2 and an {@code error: <json.path>: ...} line; site/docs/index.md states the count, and
 * this test keeps it true.
 */
class RealConfigsTrainTest {
    private static final Pattern SITE_CLAIM = Pattern.compile("`ds4j train` runs (\\d+) of them unchanged \\(2 ranks");

    @TempDir
    Path dir;

    @Test
    void theSiteStatesHowManyRealConfigsTrainUnchangedOnTwoRanks() throws IOException, URISyntaxException {
        List<Path> configs = configs();
        assertEquals(61, configs.size(), "the shipped real configs");
        List<String> ran = new ArrayList<>();
        List<String> neither = new ArrayList<>();
        for (Path c : configs) {
            String name = c.getFileName().toString();
            Outcome o = train(c, dir.resolve(name + ".zip"));
            if (o.code() == 0) {
                ran.add(name);
            } else if (o.code() != 2 || !o.err().startsWith("error: ")) {
                neither.add(name + " (exit " + o.code() + "): " + o.err().lines().findFirst().orElse(""));
            }
        }
        System.out.println("ds4j train ran " + ran.size() + " of " + configs.size() + " real configs: " + ran);
        assertEquals(List.of(), neither, "configs neither trained nor refused with exit 2 and an error line");
        assertEquals(ran.size(), siteClaim(), "site/docs/index.md must state the count this test takes (" + ran + ")");
    }

    private record Outcome(int code, String err) {
    }

    private static Outcome train(Path config, Path out) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code;
        try {
            code = Main.standard().run(List.of("train", "--world-size", "2", "--steps", "1", "--out", out.toString(),
                    config.toString()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    errStream);
        } catch (RuntimeException e) {
            return new Outcome(1, "uncaught " + e);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        String firstError = text.lines().filter(l -> l.startsWith("error: ")).findFirst().orElse(text);
        return new Outcome(code, firstError);
    }

    private static List<Path> configs() throws IOException, URISyntaxException {
        Path dir = Path.of(RealConfigsTrainTest.class.getResource("/ds-configs").toURI());
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static int siteClaim() throws IOException {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path index = p.resolve("site").resolve("docs").resolve("index.md");
            if (Files.isRegularFile(index)) {
                Matcher m = SITE_CLAIM.matcher(Files.readString(index));
                assertTrue(m.find(), index + " must say: `ds4j train` runs N of them unchanged (2 ranks)");
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("site/docs/index.md not found above " + Path.of("").toAbsolutePath());
    }
}
