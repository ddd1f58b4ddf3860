package io.ds4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second host for a test, on this machine: a Linux network namespace with its own interface and address, joined to
 * this machine's namespace by a veth pair, as two hosts are joined by a link. A process started through {@link #exec}
 * sees only that interface and its loopback; the two ends' byte counters say what crossed the link. Needs root and
 * iproute2 ({@code ip netns}); {@link #create} returns null and {@link #why} says why where it cannot be made.
 *
 * @param ns       the namespace's name
 * @param link     this side's interface
 * @param address  this side's address (the "first host")
 * @param peer     the namespace's address (the "second host")
 */
record NetHost(String ns, String link, String address, String peer) implements AutoCloseable {
    /** Why the last {@link #create} failed. */
    static String why;

    static NetHost create() throws IOException, InterruptedException {
        if (!LauncherJobs.onPath("ip") || !Files.isDirectory(Path.of("/sys/class/net"))) {
            why = "iproute2's ip is not installed (apt-get install -y iproute2)";
            return null;
        }
        long pid = ProcessHandle.current().pid();
        String inUse = run(List.of("ip", "-4", "-o", "addr"));
        int subnet = (int) (pid % 200) + 20;
        while (inUse != null && inUse.contains(" 10.213." + subnet + ".")) {
            subnet = subnet % 250 + 1;
        }
        String ns = "ds4j-host-" + pid;
        String link = "ds4ja" + pid % 100_000;
        String other = "ds4jb" + pid % 100_000;
        NetHost host = new NetHost(ns, link, "10.213." + subnet + ".1", "10.213." + subnet + ".2");
        List<List<String>> steps = List.of(List.of("ip", "netns", "add", ns),
                List.of("ip", "link", "add", link, "type", "veth", "peer", "name", other),
                List.of("ip", "link", "set", other, "netns", ns),
                List.of("ip", "addr", "add", host.address + "/24", "dev", link),
                List.of("ip", "link", "set", link, "up"),
                List.of("ip", "netns", "exec", ns, "ip", "addr", "add", host.peer + "/24", "dev", other),
                List.of("ip", "netns", "exec", ns, "ip", "link", "set", other, "up"),
                List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
        for (List<String> step : steps) {
            if (run(step) == null) {
                host.close();
                return null;
            }
        }
        return host;
    }

    /** The command prefix that runs a program on the second host. */
    List<String> exec() {
        return List.of("ip", "netns", "exec", ns);
    }

    /** Bytes this side has sent over the link so far. */
    long sent() throws IOException {
        return counter("tx_bytes");
    }

    /** Bytes this side has received over the link so far. */
    long received() throws IOException {
        return counter("rx_bytes");
    }

    private long counter(String name) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", link, "statistics", name)).trim());
    }

    /** Takes this side of the link down, as when a host loses its network: no connection is closed, nothing answers. */
    void cut() throws IOException, InterruptedException {
        if (run(List.of("ip", "link", "set", link, "down")) == null) {
            throw new IOException(why);
        }
    }

    /** Stops what still runs on the second host, then removes the namespace (and with it the veth pair). */
    @Override
    public void close() throws IOException, InterruptedException {
        String pids = run(List.of("ip", "netns", "pids", ns));
        if (pids != null) {
            for (String pid : pids.trim().split("\\s+")) {
                if (!pid.isEmpty()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        run(List.of("ip", "netns", "del", ns));
        if (Files.exists(Path.of("/sys/class/net", link))) {
            run(List.of("ip", "link", "del", link));
        }
    }

    /** The command's output, or null (with {@link #why} set) where it failed. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            why = String.join(" ", command) + " failed (needs root, CAP_NET_ADMIN): " + out.trim();
            return null;
        }
        return out;
    }
}
