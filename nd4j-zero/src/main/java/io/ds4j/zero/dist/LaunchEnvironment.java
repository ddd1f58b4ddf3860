package io.ds4j.zero.dist;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Reads {@link Distributed} from launcher variables, in the order {@link Distributed} documents. */
final class LaunchEnvironment {
    /** The variables of one launcher: rank, size, local rank, local size. */
    private record Launcher(String name, String rank, String size, String localRank, String localSize) {
    }

    private static final List<Launcher> LAUNCHERS = List.of(
            new Launcher("torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"),
            new Launcher("Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                    "OMPI_COMM_WORLD_LOCAL_SIZE"),
            new Launcher("Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"));

    private LaunchEnvironment() {
    }

    static Distributed resolve(Map<String, String> overrides, Map<String, String> env) {
        Duration timeout = timeout(overrides, env);
        Launcher first = LAUNCHERS.get(0);
        if (overrides.containsKey(first.rank()) || overrides.containsKey(first.size())) {
            return read(new Launcher("explicit setting", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"),
                    overrides, env, timeout);
        }
        for (Launcher l : LAUNCHERS) {
            if (env.containsKey(l.rank())) {
                return read(l, overrides, env, timeout);
            }
        }
        return Distributed.single().withTimeout(timeout);
    }

    private static Distributed read(Launcher l, Map<String, String> overrides, Map<String, String> env,
            Duration timeout) {
        Map<String, String> vars = l.name().equals("explicit setting") ? overrides : env;
        String source = l.name() + " (" + l.rank() + ", " + l.size() + ")";
        int rank = whole(vars, l.rank(), null);
        int size = whole(vars, l.size(), null);
        int localRank = whole(vars, l.localRank(), rank);
        boolean slurm = l.name().equals("Slurm");
        if (slurm) {
            SlurmEnvironment.requireTask(env, size);
        }
        int localSize = slurm ? SlurmEnvironment.localSize(env, size) : whole(vars, l.localSize(), size);
        String addr = value(overrides, env, "MASTER_ADDR");
        if (addr == null && slurm) {
            addr = SlurmEnvironment.master(env);
        }
        String port = value(overrides, env, "MASTER_PORT");
        int p = port != null ? parse("MASTER_PORT", port)
                : slurm ? SlurmEnvironment.port(env) : Distributed.DEFAULT_PORT;
        if (localRank >= localSize) { // launchers that do not set the local size: one process per host
            localSize = localRank + 1;
        }
        return new Distributed(rank, size, localRank, localSize, addr, p, source, timeout);
    }

    private static String value(Map<String, String> overrides, Map<String, String> env, String key) {
        String v = overrides.containsKey(key) ? overrides.get(key) : env.get(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int whole(Map<String, String> vars, String key, Integer fallback) {
        String v = vars.get(key);
        if (v == null || v.isBlank()) {
            if (fallback != null) {
                return fallback;
            }
            throw new IllegalArgumentException(key + " is not set, but the other variables of its launcher are; set "
                    + key + " to a whole number");
        }
        return parse(key, v);
    }

    private static int parse(String key, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not a whole number; set " + key
                    + " to a whole number");
        }
    }

    private static Duration timeout(Map<String, String> overrides, Map<String, String> env) {
        String v = value(overrides, env, "DS4J_RENDEZVOUS_TIMEOUT_S");
        if (v == null) {
            return Distributed.DEFAULT_TIMEOUT;
        }
        int s = parse("DS4J_RENDEZVOUS_TIMEOUT_S", v);
        if (s < 1) {
            throw new IllegalArgumentException("DS4J_RENDEZVOUS_TIMEOUT_S=" + v + " is not allowed; use >= 1 seconds");
        }
        return Duration.ofSeconds(s);
    }
}
