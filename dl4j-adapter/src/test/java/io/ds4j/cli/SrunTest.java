package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j train} under a real Slurm {@code srun -n 2} (a single-node Slurm that .ci/slurm-up installs and starts
 * where it can): each task reads its rank from {@code SLURM_PROCID}/{@code SLURM_NTASKS}, and with no
 * {@code MASTER_ADDR}/{@code MASTER_PORT} set the ranks meet at the step's first host and the port derived from the
 * job id, as a torchrun user's srun job script would leave them. The trained network is bit-identical to two rank
 * threads. Skipped, naming what is missing, where srun cannot run a 2-task job at once.
 */
class SrunTest {
    @TempDir
    Path dir;

    /** Null when {@code srun -n 2} runs a job here at once, else why not. */
    private static String whySrunCannotRun() throws Exception {
        if (!LauncherJobs.onPath("srun")) {
            return "srun is not installed (.ci/slurm-up installs slurmctld, slurmd, slurm-client and munge and starts a"
                    + " single-node Slurm)";
        }
        Process p = new ProcessBuilder("srun", "--immediate=20", "-n", "2", "-t", "1", "true").redirectErrorStream(true)
                .start();
        if (!p.waitFor(40, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return "srun -n 2 true did not finish within 40 s (are slurmctld and slurmd running? .ci/slurm-up starts"
                    + " them)";
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.exitValue() == 0 ? null : "srun -n 2 true failed with status " + p.exitValue() + " (" + out
                + "); .ci/slurm-up starts a single-node Slurm";
    }

    @Test
    void twoTasksUnderSrunTrainBitIdenticalToTwoThreads() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        String why = whySrunCannotRun();
        Assumptions.assumeTrue(why == null, () -> "skipped: " + why);
        Path launched = dir.resolve("srun.zip");
        Path log = dir.resolve("srun.log");
        // the job's environment as srun builds it from this one: no launcher variables of ours reach the tasks
        List<String> cmd = List.of("env", "-u", "MASTER_ADDR", "-u", "MASTER_PORT", "-u", "RANK", "-u", "WORLD_SIZE",
                "srun", "--immediate=20", "-n", "2", "-t", "5", "--kill-on-bad-exit=1", "-J", "ds4j-srun-test",
                "sh", "-c", "env | grep -E '^(SLURM_(PROCID|STEP_NODELIST|JOB_ID)|MASTER_)' | sort | sed"
                        + " \"s/^/[$SLURM_PROCID] /\" >&2; exec sh " + HostLaunch.quote(
                        LauncherJobs.trainScript(dir, launched).toString()));
        LauncherJobs.runOk(cmd, log, 300);
        String out = Files.readString(log);
        assertTrue(out.contains("[1] SLURM_PROCID=1") && !out.contains("MASTER_ADDR"), "the tasks got Slurm's"
                + " variables only:\n" + out);
        assertArrayEquals(ThreadReference.params(),
                ModelSerializer.restoreComputationGraph(launched.toFile()).params().toFloatVector(),
                "2 tasks under srun end bit-identical to 2 rank threads");
    }
}
