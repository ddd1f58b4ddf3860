package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.checkpoint.Checkpoints;
import io.ds4j.zero.checkpoint.CheckpointException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage-3 checkpoint files: a bad one is refused before anything changes (the network keeps its parameters, and the
 * trainer trains on exactly as one that never saw it); {@code ds4j consolidate} of a stage-3 checkpoint is in
 * {@link CheckpointConsolidateTest}.
 */
class Stage3CheckpointFilesTest {

    private static final Stage3CheckpointCases CASE = Stage3CheckpointCases.of(3, "fp16", 2).offload("nvme", "none");

    @TempDir
    Path tmp;

    private Path saved(Stage3CheckpointCases c) {
        Path ck = tmp.resolve("ck");
        try (ZeroTrainer t = c.trainer(c.net(1), tmp.resolve("nvme-s"))) {
            t.fit(CheckpointCases.iterator(2));
            t.saveCheckpoint(ck, "t");
        }
        return ck;
    }

    /** Loads the damaged checkpoint, expects the error, then trains one step: as a trainer that never loaded. */
    private String refused(Path ck, MultiLayerNetwork net) {
        float[] before = net.params().toFloatVector();
        MultiLayerNetwork control = CASE.net(3);
        try (ZeroTrainer t = CASE.trainer(net, tmp.resolve("nvme-t"));
             ZeroTrainer c = CASE.trainer(control, tmp.resolve("nvme-c"))) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> t.loadCheckpoint(ck));
            assertArrayEquals(before, net.params().toFloatVector(), "the network is untouched");
            t.fit(CheckpointCases.iterator(1));
            c.fit(CheckpointCases.iterator(1));
            assertArrayEquals(control.params().toFloatVector(), net.params().toFloatVector(),
                    "the engine is untouched: it trains as one that never loaded");
            return e.getMessage();
        }
    }

    @Test
    void damagedOrMissingRankFilesAreRefused() throws Exception {
        Path ck = saved(CASE);
        Path f = ck.resolve("t").resolve(Checkpoints.rankFile(1));
        byte[] good = Files.readAllBytes(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 5);
        }
        String m = refused(ck, CASE.net(3));
        assertTrue(m.startsWith(f.toString()) && m.contains("truncated"), m);
        Files.write(f, good);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() - 40);
            int b = raf.read();
            raf.seek(raf.length() - 40);
            raf.write(b ^ 4);
        }
        m = refused(ck, CASE.net(3));
        assertTrue(m.startsWith(f.toString()) && m.contains("checksum mismatch"), m);
        Files.delete(f);
        m = refused(ck, CASE.net(3));
        assertTrue(m.startsWith(f.toString()) && m.contains("missing"), m);
    }

    @Test
    void anotherModelIsRefused() {
        Path ck = saved(Stage3CheckpointCases.of(3, "fp16", 2).adam());
        String m = refused(ck, CASE.net(3));
        assertTrue(m.contains("was saved from another model"), m);
    }
}
