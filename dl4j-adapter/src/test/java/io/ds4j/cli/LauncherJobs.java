package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the tests of real launchers (mpirun, srun, ssh) share: finding the launcher, the rank's job script, a run. */
final class LauncherJobs {
    private LauncherJobs() {
    }

    /** Whether {@code name} is an executable on PATH. */
    static boolean onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(d, name).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A job script {@code rank.sh} in {@code dir} that runs {@code ds4j train --steps 3 --out OUT} with this test
     * JVM's java, options and class path, as users write one: given this JVM's options directly, Open MPI 4.1.4's
     * mpirun handed java a mangled main class (two options joined by ':').
     */
    static Path trainScript(Path dir, Path out) throws Exception {
        StringBuilder script = new StringBuilder("exec");
        for (String w : LaunchCommand.javaCommand(List.of("train", "--steps", "3", "--out", out.toString()))) {
            script.append(' ').append(HostLaunch.quote(w));
        }
        return Files.writeString(dir.resolve("rank.sh"), script + "\n");
    }

    /** Runs {@code cmd} with its output in {@code log}, stopped after {@code seconds}; asserts it exits with 0. */
    static void runOk(List<String> cmd, Path log, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + Files.readString(log));
    }
}
