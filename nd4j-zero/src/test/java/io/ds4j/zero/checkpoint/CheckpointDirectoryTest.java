package io.ds4j.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tags, {@code latest}, saving a tag again, and a failed save that leaves the previous checkpoint as it was. */
class CheckpointDirectoryTest {

    @TempDir
    Path dir;

    private static Map<String, ShardFile> files(float v) {
        Map<String, ShardFile> m = new LinkedHashMap<>();
        m.put("a", new ShardFile(Map.of("which", "a"), List.of(new ShardFile.Section("x", new float[] {v}))));
        m.put("b", new ShardFile(Map.of("which", "b"), List.of(new ShardFile.Section("x", new float[] {-v}))));
        return m;
    }

    private static float value(CheckpointDirectory d, Optional<String> tag) {
        return CheckpointDirectory.read(d.folder(tag), "a").section("x")[0];
    }

    @Test
    void latestFollowsTheLastSaveAndOldTagsStayLoadable() {
        CheckpointDirectory d = new CheckpointDirectory(dir.resolve("ck"));
        long bytes = d.save("global_step1", files(1));
        assertEquals(bytes, files(1).values().stream().mapToLong(ShardFile::byteSize).sum());
        d.save("global_step2", files(2));
        assertEquals("global_step2", d.latestTag());
        assertEquals(2f, value(d, Optional.empty()));
        assertEquals(1f, value(d, Optional.of("global_step1")));
        assertEquals(List.of("global_step1", "global_step2", "latest"), list(d.path()));
    }

    @Test
    void savingATagAgainReplacesItAndLeavesNoTrace() {
        CheckpointDirectory d = new CheckpointDirectory(dir);
        d.save("t", files(1));
        d.save("t", files(5));
        assertEquals(5f, value(d, Optional.of("t")));
        assertEquals(List.of("latest", "t"), list(dir));
    }

    @Test
    void aCutBetweenTheRenamesOfASameTagSaveLoadsTheReplacedFolder() throws IOException {
        CheckpointDirectory d = new CheckpointDirectory(dir);
        d.save("t", files(1));
        Files.move(dir.resolve("t"), dir.resolve("t.replaced")); // what the first rename of a second save leaves
        assertEquals(1f, value(d, Optional.empty()));
    }

    @Test
    void aFailedSaveRemovesItsTemporaryFolderAndSaysWhatIsIntact() {
        CheckpointDirectory d = new CheckpointDirectory(dir);
        d.save("good", files(1));
        Map<String, ShardFile> bad = files(2);
        bad.put("no-such-folder/c", bad.get("a")); // cannot be created: the write fails after two files
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> d.save("bad", bad));
        assertTrue(e.getMessage().contains("'latest' still names tag 'good', which is intact"), e.getMessage());
        assertEquals(List.of("good", "latest"), list(dir));
        assertEquals(1f, value(d, Optional.empty()));
    }

    /**
     * A save by a group of two ranks (threads here, processes in {@code DistributedCheckpointTest}): each writes its
     * own file into the one folder; when rank 1's write fails, both ranks throw, the temporary folder is gone and the
     * previous checkpoint is what {@code latest} names.
     */
    @Test
    void aGroupSaveWritesEveryRanksFileAndFailsOnEveryRankWhenOneFails() {
        CheckpointDirectory d = new CheckpointDirectory(dir);
        List<String> ok = groupSave(d, "good", "b");
        assertEquals(List.of("ok", "ok"), ok);
        assertEquals(List.of("good", "latest"), list(dir));
        assertEquals(List.of("a", "b"), list(dir.resolve("good")));
        List<String> failed = groupSave(d, "bad", "no-such-folder/b");
        for (String m : failed) {
            assertTrue(m.contains("'latest' still names tag 'good', which is intact"), m);
        }
        assertTrue(failed.get(0).contains("another rank failed") && failed.get(1).contains("rank 1: "), failed
                .toString());
        assertEquals(List.of("good", "latest"), list(dir));
        assertEquals(1f, value(d, Optional.empty()));
    }

    /** Rank 0 saves file {@code a}, rank 1 file {@code rankOneFile}; each returns "ok" or its error message. */
    private static List<String> groupSave(CheckpointDirectory d, String tag, String rankOneFile) {
        return io.ds4j.zero.comm.Ranks.run(io.ds4j.zero.comm.InProcessCollectives.create(2,
                java.time.Duration.ofSeconds(20)), c -> {
            String token = CheckpointDirectory.sharedToken(c);
            Map<String, ShardFile> mine = new LinkedHashMap<>();
            mine.put(c.rank() == 0 ? "a" : rankOneFile, files(1).get(c.rank() == 0 ? "a" : "b"));
            try {
                d.save(tag, mine, c, token);
                return "ok";
            } catch (UncheckedIOException e) {
                return e.getMessage();
            }
        });
    }

    @Test
    void missingPiecesAreNamed() {
        CheckpointDirectory d = new CheckpointDirectory(dir);
        assertTrue(assertThrows(CheckpointException.class, () -> d.folder(Optional.empty())).getMessage()
                .contains("latest: missing"));
        d.save("t", files(1));
        assertTrue(assertThrows(CheckpointException.class, () -> d.folder(Optional.of("u"))).getMessage()
                .contains("no checkpoint tag 'u'"));
        assertThrows(IllegalArgumentException.class, () -> d.save("../x", files(1)));
        assertThrows(IllegalArgumentException.class, () -> d.save("latest", files(1)));
        assertFalse(Files.exists(dir.resolve("x")));
    }

    private static List<String> list(Path p) {
        try (Stream<Path> s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
