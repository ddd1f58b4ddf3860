package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.checkpoint.CheckpointDirectory;
import io.ds4j.zero.checkpoint.PausePoints;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints across processes. A resume in a new JVM is bit-identical to the straight run. And a JVM killed at each
 * named point of a save ({@link PausePoints}: it pauses there, prints the point, and this test kills it with
 * {@code destroyForcibly}) leaves a directory whose {@code latest} loads: the previous checkpoint until the final
 * rename of {@code latest}, the new one after it.
 */
class CheckpointProcessTest {

    private static final CheckpointCases.Case CASE = new CheckpointCases.Case(1, "fp16", "none", false, 2);
    private static final int K = 4;

    @TempDir
    Path tmp;

    @Test
    void resumeInANewProcessIsBitIdentical() throws Exception {
        Path ck = tmp.resolve("ck");
        MultiLayerNetwork straight = CASE.net(1);
        List<String> full;
        try (ZeroTrainer t = CASE.trainer(straight, tmp)) {
            CheckpointCases.Recorder rec = new CheckpointCases.Recorder(t, K, ck);
            straight.addListeners(rec);
            t.fit(CheckpointCases.iterator(2 * K));
            t.saveCheckpoint(tmp.resolve("ref"), "end");
            full = rec.trajectory;
        }
        Process p = child("resume", ck.toString(), tmp.resolve("out").toString());
        List<String> lines = readAll(p);
        assertEquals(0, p.waitFor(), String.join("\n", lines));
        List<String> tail = lines.stream().filter(l -> l.startsWith("step ")).map(l -> l.substring(5)).toList();
        assertEquals(full.subList(K, 2 * K), tail, "loss-scale trajectory after the resume");
        assertEquals(CheckpointCases.contents(tmp.resolve("ref/end")), CheckpointCases.contents(tmp.resolve("out/end")),
                "master weights and optimizer state of every rank, bit for bit");
    }

    @Test
    void aSaveKilledAtAnyPointLeavesALoadableCheckpoint() throws Exception {
        String[][] points = {{"file-written", "a"}, {"folder-renamed", "a"}, {"latest-written", "a"},
                {"latest-renamed", "b"}};
        for (String[] point : points) {
            Path dir = tmp.resolve(point[0]);
            Process p = child("crash", dir.toString(), point[0]);
            List<String> seen = new ArrayList<>();
            try (BufferedReader r = reader(p)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    seen.add(line);
                    if (line.equals("ds4j-checkpoint-paused " + point[0])) {
                        p.destroyForcibly();
                        break;
                    }
                }
            }
            p.waitFor(60, TimeUnit.SECONDS);
            assertTrue(seen.contains("saved a") && seen.contains("ds4j-checkpoint-paused " + point[0]),
                    point[0] + ": the child paused there: " + seen);
            assertEquals(point[1], new CheckpointDirectory(dir).latestTag(), point[0]);
            MultiLayerNetwork net = CASE.net(5);
            try (ZeroTrainer t = CASE.trainer(net, tmp)) {
                t.loadCheckpoint(dir);
                assertEquals(point[1].equals("a") ? 2 : 3, net.getIterationCount() + t.skippedSteps(), point[0]);
            }
        }
    }

    private static Process child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static List<String> readAll(Process p) throws Exception {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = reader(p)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                out.add(line);
            }
        }
        return out;
    }

    /** The child JVM: {@code resume CK OUT} or {@code crash DIR POINT}. */
    public static final class Child {
        private Child() {
        }

        /** @param args the mode and its arguments */
        public static void main(String[] args) {
            Path nvme = Path.of(System.getProperty("java.io.tmpdir"));
            MultiLayerNetwork net = CASE.net(args[0].equals("resume") ? 2 : 1);
            try (ZeroTrainer t = CASE.trainer(net, nvme)) {
                if (args[0].equals("resume")) {
                    t.loadCheckpoint(Path.of(args[1]), "mid");
                    CheckpointCases.Recorder rec = new CheckpointCases.Recorder(t, -1, null);
                    net.addListeners(rec);
                    t.fit(CheckpointCases.iterator(2 * K));
                    t.saveCheckpoint(Path.of(args[2]), "end");
                    rec.trajectory.forEach(s -> System.out.println("step " + s));
                    return;
                }
                t.fit(CheckpointCases.iterator(2));
                t.saveCheckpoint(Path.of(args[1]), "a");
                System.out.println("saved a");
                t.fit(CheckpointCases.iterator(1));
                System.setProperty(PausePoints.PROPERTY, args[2]);
                t.saveCheckpoint(Path.of(args[1]), "b");
                System.out.println("saved b");
            }
            System.exit(0);
        }
    }
}
