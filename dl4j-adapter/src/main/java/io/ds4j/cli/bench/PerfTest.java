package io.ds4j.cli.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * UCX's own {@code ucx_perftest} (Debian/Ubuntu package {@code ucx-utils}) as the reference of {@code ds4j bench comm}:
 * its tag bandwidth test ({@code -t tag_bw}) between a server and a client process on 127.0.0.1, one message size at a
 * time. When it is missing and this process is root on a system with apt-get, {@link #find} installs the package.
 */
final class PerfTest {
    private static final String PACKAGE = "ucx-utils";
    private final String program;

    private PerfTest(String program) {
        this.program = program;
    }

    /**
     * Finds {@code ucx_perftest} on the PATH, installing {@value #PACKAGE} with apt-get when missing and root.
     *
     * @param err where to say what happened
     * @return the tool, or empty (then {@code err} says why and how to install it)
     */
    static Optional<PerfTest> find(PrintStream err) {
        Optional<String> p = onPath("ucx_perftest");
        if (p.isEmpty() && onPath("apt-get").isPresent() && "root".equals(System.getProperty("user.name"))) {
            err.println("bench comm: ucx_perftest is missing; installing " + PACKAGE + " with apt-get");
            run(List.of("apt-get", "install", "-y", "-qq", PACKAGE), 600);
            p = onPath("ucx_perftest");
        }
        if (p.isEmpty()) {
            err.println("bench comm: ucx_perftest not found, so the reference column is empty; install it with"
                    + " `apt-get install -y " + PACKAGE + "` (as root; the package that matches libucx0)");
        }
        return p.map(PerfTest::new);
    }

    private static Optional<String> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return Optional.of(f.getPath());
            }
        }
        return Optional.empty();
    }

    private static int run(List<String> cmd, long seconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect
                    .DISCARD).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * The tag bandwidth of {@code bytes}-byte messages, server and client on 127.0.0.1, both with {@code env} added to
     * this process's environment.
     *
     * @return bytes per second (ucx_perftest's "overall" bandwidth), or NaN when the pair failed
     * @throws IOException when the programs cannot be started
     */
    double tagBandwidth(long bytes, int iterations, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> common = List.of("-t", "tag_bw", "-s", Long.toString(bytes), "-n", Integer.toString(iterations),
                "-w", "2", "-p", Integer.toString(port));
        List<String> server = new java.util.ArrayList<>(List.of(program));
        server.addAll(common);
        ProcessBuilder sb = new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect
                .DISCARD);
        sb.environment().putAll(env);
        Process srv = sb.start();
        try {
            for (int attempt = 0; attempt < 50; attempt++) { // the server needs a moment to listen
                List<String> client = new java.util.ArrayList<>(List.of(program, "127.0.0.1"));
                client.addAll(common);
                ProcessBuilder cb = new ProcessBuilder(client).redirectErrorStream(true);
                cb.environment().putAll(env);
                Process c = cb.start();
                String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (c.waitFor() == 0) {
                    return parse(out);
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            return Double.NaN;
        } finally {
            srv.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The overall bandwidth of ucx_perftest's {@code Final:} line (iterations, latency 50%, average and overall in
     * microseconds, bandwidth average and overall in MB/s of 2^20 bytes, message rates), in bytes per second.
     */
    static double parse(String output) {
        for (String line : output.lines().toList()) {
            String t = line.trim();
            if (t.startsWith("Final:")) {
                String[] f = t.split("\\s+");
                return Double.parseDouble(f[6]) * 1048576.0;
            }
        }
        return Double.NaN;
    }
}
