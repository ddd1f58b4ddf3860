package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j train} under a real Open MPI {@code mpirun -np 2} (package openmpi-bin, which .ci/run installs): each
 * process reads its rank from {@code OMPI_COMM_WORLD_*}, the ranks meet at {@code MASTER_ADDR:MASTER_PORT} passed with
 * {@code -x}, and the trained network is bit-identical to two rank threads. Skipped, saying so, where mpirun is
 * missing.
 */
class MpirunTest {
    @TempDir
    Path dir;

    private static boolean onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(d, name).canExecute()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void twoRanksUnderMpirunTrainBitIdenticalToTwoThreads() throws Exception {
        Assumptions.assumeTrue(onPath("mpirun"), "skipped: mpirun is not installed (apt-get install -y openmpi-bin)");
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path launched = dir.resolve("mpi.zip");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", "2", "--oversubscribe", "-x", "MASTER_ADDR=127.0.0.1",
                "-x", "MASTER_PORT=" + LaunchCommand.freePort()));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add(1, "--allow-run-as-root"); // Open MPI refuses root without it (containers, CI)
        }
        // the rank command goes through a job script, as users write one: given this test JVM's options directly,
        // Open MPI 4.1.4's mpirun handed java a mangled main class (two options joined by ':')
        StringBuilder script = new StringBuilder("exec");
        for (String w : LaunchCommand.javaCommand(List.of("train", "--steps", "3", "--out", launched.toString()))) {
            script.append(' ').append(HostLaunch.quote(w));
        }
        cmd.addAll(List.of("sh", java.nio.file.Files.writeString(dir.resolve("rank.sh"), script + "\n").toString()));
        Path log = dir.resolve("mpirun.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        assertEquals(0, p.exitValue(), java.nio.file.Files.readString(log));
        assertArrayEquals(ThreadReference.params(),
                ModelSerializer.restoreComputationGraph(launched.toFile()).params().toFloatVector(),
                "2 ranks under mpirun end bit-identical to 2 rank threads");
    }
}
