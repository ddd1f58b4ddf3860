package io.ds4j.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a class's {@code main} in a fresh JVM with this JVM's classpath, so that each measured setup has a process of
 * its own (the resident memory of one run does not carry into the next). stdout and stderr go to files, so that
 * neither can fill a pipe and block the child; a child that outlives its time is killed.
 *
 * @param jvmOptions options for the child JVM (e.g. {@code -Xmx1g})
 * @param timeoutSeconds how long a child may run
 */
public record ChildJvm(List<String> jvmOptions, long timeoutSeconds) {
    /** The JavaCPP cache folder property, passed on so that the child does not unpack the native libraries again. */
    private static final String CACHE_DIR = "org.bytedeco.javacpp.cachedir";

    /**
     * @param dir a folder
     * @return the option that makes DL4J write its out-of-memory crash dumps there (by default it writes them into
     *         the working directory)
     */
    public static String crashDumpsInto(Path dir) {
        return "-Dorg.deeplearning4j.crash.reporting.directory=" + dir.toAbsolutePath();
    }

    /** Copies the options. */
    public ChildJvm {
        jvmOptions = List.copyOf(jvmOptions);
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("child timeout must be >= 1 s, got " + timeoutSeconds);
        }
    }

    /**
     * What a child did.
     *
     * @param exitCode its exit status (-1 when it was killed after its time)
     * @param timedOut whether it was killed after its time
     * @param seconds  how long it ran
     * @param stdout   its standard output, line by line
     * @param stderr   its standard error, line by line
     */
    public record Result(int exitCode, boolean timedOut, long seconds, List<String> stdout, List<String> stderr) {
        /** @return the last non-blank stderr line, or "(no output)" */
        public String lastErrorLine() {
            for (int i = stderr.size() - 1; i >= 0; i--) {
                if (!stderr.get(i).isBlank()) {
                    return stderr.get(i).trim();
                }
            }
            return "(no output)";
        }
    }

    /** Runs a child; the seam through which tests replace the JVM. */
    @FunctionalInterface
    public interface Launcher {
        /**
         * @param args the child's arguments
         * @return what it did
         * @throws IOException when it cannot be started
         * @throws InterruptedException when this thread is interrupted while waiting
         */
        Result run(List<String> args) throws IOException, InterruptedException;
    }

    /**
     * @param mainClass the class whose {@code main} the child runs
     * @return a launcher starting it in a child JVM
     */
    public Launcher launcher(Class<?> mainClass) {
        return args -> run(mainClass, args);
    }

    /**
     * @param mainClass the class whose {@code main} runs
     * @param args      its arguments
     * @return what the child did
     * @throws IOException when the child cannot be started or its output read
     * @throws InterruptedException when this thread is interrupted while waiting
     */
    public Result run(Class<?> mainClass, List<String> args) throws IOException, InterruptedException {
        return run(mainClass, args, Map.of());
    }

    /**
     * As {@link #run(Class, List)}, with {@code env} added to this JVM's environment.
     *
     * @param mainClass the class whose {@code main} runs
     * @param args      its arguments
     * @param env       variables to set in the child
     * @return what the child did
     * @throws IOException when the child cannot be started or its output read
     * @throws InterruptedException when this thread is interrupted while waiting
     */
    public Result run(Class<?> mainClass, List<String> args, Map<String, String> env)
            throws IOException, InterruptedException {
        return runAll(mainClass, args, List.of(env)).get(0);
    }

    /**
     * Runs {@code ranks} children at once as the rank processes of one job on 127.0.0.1, each with torchrun's
     * variables ({@link io.ds4j.cli.LaunchCommand#rankEnvironment}), all within {@code timeoutSeconds}.
     *
     * @param mainClass the class whose {@code main} each child runs
     * @param args      their arguments
     * @param ranks     the world size
     * @return what each child did, index r for rank r
     * @throws IOException when a child cannot be started or its output read
     * @throws InterruptedException when this thread is interrupted while waiting
     */
    public List<Result> runRanks(Class<?> mainClass, List<String> args, int ranks)
            throws IOException, InterruptedException {
        int port = io.ds4j.cli.LaunchCommand.freePort();
        List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            envs.add(io.ds4j.cli.LaunchCommand.rankEnvironment(r, ranks, r, ranks, "127.0.0.1", port));
        }
        return runAll(mainClass, args, envs);
    }

    /** One child per environment, started together; those still running after the timeout are killed. */
    private List<Result> runAll(Class<?> mainClass, List<String> args, List<Map<String, String>> envs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        if (System.getProperty(CACHE_DIR) != null) {
            cmd.add("-D" + CACHE_DIR + "=" + System.getProperty(CACHE_DIR));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(args);
        List<Path> files = new ArrayList<>();
        List<Process> ps = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            for (Map<String, String> env : envs) {
                Path out = Files.createTempFile("ds4j-child", ".out");
                Path err = Files.createTempFile("ds4j-child", ".err");
                files.addAll(List.of(out, err));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                ps.add(pb.start());
            }
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < ps.size(); i++) {
                Process p = ps.get(i);
                long left = timeoutSeconds * 1_000_000_000L - (System.nanoTime() - t0);
                boolean done = p.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS);
                if (!done) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
                results.add(new Result(done ? p.exitValue() : -1, !done, seconds, lines(files.get(2 * i)),
                        lines(files.get(2 * i + 1))));
            }
            return results;
        } finally {
            for (Process p : ps) {
                if (p.isAlive()) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
    }
}
