package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void twoRanksUnderMpirunTrainBitIdenticalToTwoThreads() throws Exception {
        Assumptions.assumeTrue(LauncherJobs.onPath("mpirun"),
                "skipped: mpirun is not installed (apt-get install -y openmpi-bin)");
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path launched = dir.resolve("mpi.zip");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", "2", "--oversubscribe", "-x", "MASTER_ADDR=127.0.0.1",
                "-x", "MASTER_PORT=" + LaunchCommand.freePort()));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add(1, "--allow-run-as-root"); // Open MPI refuses root without it (containers, CI)
        }
        // the rank command goes through a job script, as users write one (see LauncherJobs.trainScript)
        cmd.addAll(List.of("sh", LauncherJobs.trainScript(dir, launched).toString()));
        LauncherJobs.runOk(cmd, dir.resolve("mpirun.log"), 300);
        assertArrayEquals(ThreadReference.params(),
                ModelSerializer.restoreComputationGraph(launched.toFile()).params().toFloatVector(),
                "2 ranks under mpirun end bit-identical to 2 rank threads");
    }
}
