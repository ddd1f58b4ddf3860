package io.ds4j.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * DeepSpeed's hostfile: one host per line as {@code hostname slots=N} (N ranks on that host), {@code #} starting a
 * comment, blank lines ignored; and its {@code --include}/{@code --exclude} filters, host names separated by
 * {@code @}. Every error names the file and line.
 */
final class HostFile {
    /** One host and the ranks it runs. */
    record Host(String name, int slots) {
    }

    private HostFile() {
    }

    /** Reads and checks {@code file}. */
    static List<Host> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--hosts " + file + " cannot be read: " + e);
        }
        List<Host> hosts = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String at = file + ":" + (i + 1) + ": ";
            String line = lines.get(i).replaceAll("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 2 || !f[1].startsWith("slots=")) {
                throw new IllegalArgumentException(at + "'" + lines.get(i).trim() + "' is not 'hostname slots=N'"
                        + " (e.g. worker-1 slots=4)");
            }
            int slots;
            try {
                slots = Integer.parseInt(f[1].substring("slots=".length()));
            } catch (NumberFormatException e) {
                slots = -1;
            }
            if (slots < 1 || slots > 4096) {
                throw new IllegalArgumentException(at + "slots must be a whole number in 1..4096, got '"
                        + f[1].substring("slots=".length()) + "'");
            }
            if (!seen.add(f[0])) {
                throw new IllegalArgumentException(at + "host " + f[0] + " is listed twice; give it one line with"
                        + " all its slots");
            }
            hosts.add(new Host(f[0], slots));
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("--hosts " + file + " lists no host; write one 'hostname slots=N' per"
                    + " line");
        }
        return hosts;
    }

    /**
     * The hosts left after {@code --include} (only these, when given) and {@code --exclude} (not these), each a list of
     * host names separated by {@code @}, as DeepSpeed writes them.
     */
    static List<Host> filter(List<Host> hosts, String include, String exclude, Path file) {
        Set<String> names = new LinkedHashSet<>();
        hosts.forEach(h -> names.add(h.name()));
        Set<String> in = include == null ? names : names(include, "--include", names, file);
        Set<String> out = exclude == null ? Set.of() : names(exclude, "--exclude", names, file);
        List<Host> kept = hosts.stream().filter(h -> in.contains(h.name()) && !out.contains(h.name())).toList();
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("--include/--exclude leave no host of " + file + " to run on");
        }
        return kept;
    }

    /**
     * DeepSpeed's {@code --num_nodes} and {@code --num_gpus} over a hostfile: only the first {@code nnodes} hosts
     * (when not -1), and {@code nproc} ranks on each instead of its slots (when not -1; as DeepSpeed, the slots do
     * not bound it).
     */
    static List<Host> limit(List<Host> hosts, int nnodes, int nproc, Path file) {
        if (nnodes > hosts.size()) {
            throw new IllegalArgumentException("--nnodes " + nnodes + ": " + file + " leaves " + hosts.size()
                    + " host(s) after --include/--exclude " + hosts.stream().map(Host::name).toList()
                    + "; lower --nnodes or add hosts to the file");
        }
        List<Host> first = nnodes < 0 ? hosts : hosts.subList(0, nnodes);
        return nproc < 0 ? List.copyOf(first) : first.stream().map(h -> new Host(h.name(), nproc)).toList();
    }

    private static Set<String> names(String list, String option, Set<String> known, Path file) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : list.split("@")) {
            String name = n.trim();
            if (name.contains(":")) {
                throw new IllegalArgumentException(option + " " + list + ": selecting slots (" + name + ") is not"
                        + " supported, ds4j ranks have no device ids; select whole hosts, or lower slots= in " + file);
            }
            if (!known.contains(name)) {
                throw new IllegalArgumentException(option + " names host '" + name + "', which " + file
                        + " does not list (it lists " + known + ")");
            }
            out.add(name);
        }
        return out;
    }

    /** Whether {@code host} is this machine, so its ranks start without ssh. */
    static boolean isLocal(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.startsWith("127.") || h.equals("::1")) {
            return true;
        }
        try {
            InetAddress me = InetAddress.getLocalHost();
            return h.equals(me.getHostName().toLowerCase(Locale.ROOT))
                    || h.equals(me.getCanonicalHostName().toLowerCase(Locale.ROOT))
                    || h.equals(me.getHostAddress());
        } catch (IOException e) {
            return false;
        }
    }
}
