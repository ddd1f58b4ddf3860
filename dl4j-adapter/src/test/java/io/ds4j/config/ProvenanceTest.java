package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shipped real configs and their provenance table list the same files, each with a source. */
class ProvenanceTest {
    private static final Pattern ROW = Pattern.compile(
            "^\\| `([^`]+\\.json)` \\| (\\S+/\\S+) @ [0-9a-f]{8} : `[^`]+` \\|$");

    @Test
    void everyShippedConfigHasItsSourceAndEverySourceIsShipped() throws IOException {
        Path dir = RepoFiles.realConfigs();
        TreeSet<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(dir.resolve("PROVENANCE.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                listed.add(m.group(1));
            }
        }
        TreeSet<String> shipped = new TreeSet<>();
        RepoFiles.jsonFiles(dir).forEach(p -> shipped.add(p.getFileName().toString()));
        assertEquals(61, shipped.size(), "ds-configs should hold the 61 real configs");
        assertEquals(shipped, listed, "PROVENANCE.md must list each JSON file of " + dir + " with its source");
    }
}
