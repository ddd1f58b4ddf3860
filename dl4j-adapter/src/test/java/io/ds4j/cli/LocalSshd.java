package io.ds4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server for one test: listening on 127.0.0.1 (or another address, {@link #startOn}) at a free port,
 * with a host key made in {@code dir} and only a client key made in {@code clientDir} authorized, and an ssh client
 * configuration there that names this machine by aliases (so that {@code ds4j launch} treats them as remote hosts).
 * Nothing of the system's ssh configuration is read or changed. {@link #start} returns null and {@link #why} says what
 * was missing where sshd cannot run here.
 *
 * @param sshd   the server process
 * @param log    its log (sshd -e)
 * @param config the client configuration: {@code ssh -F config HOST}
 */
record LocalSshd(Process sshd, Path log, Path config) implements AutoCloseable {
    private static final List<String> SSHD = List.of("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd");
    /** Why the last {@link #start} failed. */
    static String why;

    /**
     * Starts sshd and writes the client configuration, where {@code aliases} reach it and {@code down} reaches a
     * port nothing listens on.
     */
    static LocalSshd start(Path dir, Path clientDir, List<String> aliases, String down) throws Exception {
        return startOn(dir, clientDir, "127.0.0.1", List.of(), aliases, down);
    }

    /**
     * As {@link #start}, listening on {@code address}, with sshd started through {@code prefix} (e.g. {@code ip netns
     * exec NAME}: another host's network), and {@code down} null for none. The client configuration in {@code clientDir}
     * is appended to, so that servers started one after the other with the same client directory share it (and its
     * key).
     */
    static LocalSshd startOn(Path dir, Path clientDir, String address, List<String> prefix, List<String> aliases,
            String down) throws Exception {
        String sshd = SSHD.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        if (sshd == null || !LauncherJobs.onPath("ssh") || !LauncherJobs.onPath("ssh-keygen")) {
            why = "sshd, ssh or ssh-keygen is not installed (apt-get install -y openssh-server openssh-client)";
            return null;
        }
        for (Path key : List.of(dir.resolve("host_key"), clientDir.resolve("id_key"))) {
            if (Files.exists(key)) {
                continue;
            }
            Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                    .redirectErrorStream(true).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                why = "ssh-keygen failed: " + new String(p.getInputStream().readAllBytes());
                return null;
            }
        }
        Files.copy(clientDir.resolve("id_key.pub"), dir.resolve("authorized_keys"));
        int port = LaunchCommand.freePort();
        Path conf = Files.writeString(dir.resolve("sshd_config"), String.join("\n", "Port " + port,
                "ListenAddress " + address, "HostKey " + dir.resolve("host_key"), "AuthorizedKeysFile "
                        + dir.resolve("authorized_keys"),
                "PidFile none", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", ""));
        Path log = dir.resolve("sshd.log");
        List<String> command = new java.util.ArrayList<>(prefix);
        command.addAll(List.of(sshd, "-D", "-e", "-f", conf.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!Files.readString(log).contains("Server listening") && p.isAlive()
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        if (!p.isAlive() || !Files.readString(log).contains("Server listening")) {
            p.destroyForcibly().waitFor();
            why = "sshd did not start (" + Files.readString(log).trim() + "); as root, mkdir -p -m 755 /run/sshd"
                    + " (.ci/run does)";
            return null;
        }
        StringBuilder client = new StringBuilder();
        for (String alias : aliases) {
            client.append(host(alias, address, port, clientDir));
        }
        if (down != null) {
            client.append(host(down, address, LaunchCommand.freePort(), clientDir));
        }
        Path config = clientDir.resolve("ssh_config");
        return new LocalSshd(p, log, Files.writeString(config, client, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND));
    }

    private static String host(String alias, String address, int port, Path dir) {
        return String.join("\n", "Host " + alias, "  HostName " + address, "  Port " + port, "  IdentityFile \""
                + dir.resolve("id_key") + "\"", "  IdentitiesOnly yes", "  StrictHostKeyChecking no",
                "  UserKnownHostsFile /dev/null", "  BatchMode yes", "  LogLevel ERROR", "");
    }

    /** The connections sshd accepted with the test key so far. */
    long accepted() throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("Accepted publickey")).count();
    }

    @Override
    public void close() throws InterruptedException {
        sshd.destroy();
        if (!sshd.waitFor(5, TimeUnit.SECONDS)) {
            sshd.destroyForcibly().waitFor();
        }
    }
}
