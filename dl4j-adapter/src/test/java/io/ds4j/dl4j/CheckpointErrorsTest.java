package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.checkpoint.Checkpoints;
import io.ds4j.dl4j.checkpoint.TagValidation;
import io.ds4j.zero.checkpoint.CheckpointException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A bad checkpoint is refused before anything changes: the error names the file and what is wrong, and the network
 * being loaded into keeps its parameters (and still trains).
 */
class CheckpointErrorsTest {

    private static final CheckpointCases.Case CASE = new CheckpointCases.Case(2, "fp32", "none", false, 2);

    @TempDir
    Path tmp;
    private Path ck;
    private Path tag;

    @BeforeEach
    void save() {
        ck = tmp.resolve("ck");
        MultiLayerNetwork net = CASE.net(1);
        try (ZeroTrainer t = CASE.trainer(net, tmp)) {
            t.fit(CheckpointCases.iterator(2));
            t.saveCheckpoint(ck, "t");
        }
        tag = ck.resolve("t");
    }

    private String refused(CheckpointCases.Case c, MultiLayerNetwork net, String json, TagValidation v) {
        float[] before = net.params().toFloatVector();
        ZeroTrainer.Builder b = ZeroTrainer.builder(net).worldSize(c.world());
        if (v != null) {
            b.tagValidation(v);
        }
        try (ZeroTrainer t = b.config(DeepSpeedConfig.parse(json)).build()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> t.loadCheckpoint(ck));
            assertArrayEquals(before, net.params().toFloatVector(), "the network is untouched");
            t.fit(CheckpointCases.iterator(1)); // and the trainer still works
            return e.getMessage();
        }
    }

    private String refused() {
        return refused(CASE, CASE.net(3), CASE.json(tmp), TagValidation.WARN);
    }

    @Test
    void truncatedRankFile() throws Exception {
        Path f = tag.resolve(Checkpoints.rankFile(1));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 5);
        }
        String m = refused();
        assertTrue(m.startsWith(f.toString()) && m.contains("truncated"), m);
    }

    @Test
    void flippedByte() throws Exception {
        Path f = tag.resolve(Checkpoints.rankFile(0));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() - 40);
            int b = raf.read();
            raf.seek(raf.length() - 40);
            raf.write(b ^ 4);
        }
        String m = refused();
        assertTrue(m.startsWith(f.toString()) && m.contains("checksum mismatch"), m);
    }

    @Test
    void missingRankFile() throws Exception {
        Path f = tag.resolve(Checkpoints.rankFile(1));
        Files.delete(f);
        String m = refused();
        assertTrue(m.startsWith(f.toString()) && m.contains("missing"), m);
    }

    @Test
    void anotherModel() {
        String m = refused(CASE, TestNets.sgdMln(3, new Adam(1e-2)), CASE.json(tmp), TagValidation.WARN);
        assertTrue(m.startsWith(tag.resolve(Checkpoints.MODEL_STATES).toString())
                && m.contains("was saved from another model"), m);
    }

    @Test
    void anotherConfigWithTagValidationFail() {
        String other = CASE.json(tmp).replace("\"gradient_clipping\": 1.0", "\"gradient_clipping\": 0.5");
        String failing = other.replaceFirst("\\{", "{\"checkpoint\": {\"tag_validation\": \"Fail\"}, ");
        String m = refused(CASE, CASE.net(3), failing, null); // the configuration's checkpoint section decides
        assertTrue(m.contains("was saved under another configuration") && m.contains("tag_validation is Fail"), m);
        MultiLayerNetwork net = CASE.net(3);
        try (ZeroTrainer t = ZeroTrainer.builder(net).worldSize(2).config(DeepSpeedConfig.parse(other)).build()) {
            t.loadCheckpoint(ck); // Warn (the default) loads
            assertEquals(2, net.getIterationCount());
        }
    }

    @Test
    void anotherOptimizerKind() {
        CheckpointCases.Case ds = new CheckpointCases.Case(2, "fp32", "none", true, 2);
        ck = tmp.resolve("ds");
        try (ZeroTrainer t = ds.trainer(ds.net(1), tmp)) {
            t.fit(CheckpointCases.iterator(1));
            t.saveCheckpoint(ck, "t");
        }
        String plain = CASE.json(tmp); // no optimizer section: the network's own DL4J updaters
        String m = refused(ds, ds.net(3), plain, TagValidation.IGNORE);
        assertTrue(m.contains("holds optimizer state of kind 'deepspeed:adam:2' but this run's optimizer is"
                + " 'dl4j-updaters'"), m);
    }
}
