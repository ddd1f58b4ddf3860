package io.ds4j.zero.dist;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Where this process stands in a job whose ranks are processes: its rank, the world size, its place on its host, and
 * where rank 0 listens for the rendezvous ({@code MASTER_ADDR:MASTER_PORT}).
 *
 * <p>{@link #fromEnvironment()} reads what the launcher set, in this order (the first that names a rank wins):
 * <ol>
 *   <li>an explicit setting ({@link #of}, or the CLI's {@code --rank}/{@code --world-size}), passed to
 *       {@link #fromEnvironment(Map, Map)} as overrides;</li>
 *   <li>torchrun / DeepSpeed / {@code bin/ds4j launch}: {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK},
 *       {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT};</li>
 *   <li>Open MPI's {@code mpirun}: {@code OMPI_COMM_WORLD_RANK}, {@code OMPI_COMM_WORLD_SIZE},
 *       {@code OMPI_COMM_WORLD_LOCAL_RANK}, {@code OMPI_COMM_WORLD_LOCAL_SIZE};</li>
 *   <li>Slurm's {@code srun}: {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID}, and this host's
 *       count in {@code SLURM_STEP_TASKS_PER_NODE}; the master defaults to the first host of the step's node list
 *       and the port to one derived from {@code SLURM_JOB_ID} ({@link SlurmEnvironment}).</li>
 * </ol>
 * Without any of them the process is a world of one. {@code MASTER_ADDR} and {@code MASTER_PORT} are read under
 * every launcher ({@code mpirun -x MASTER_ADDR=...}); the port defaults to {@value #DEFAULT_PORT} as in PyTorch
 * (under Slurm, to {@code 15000 + SLURM_JOB_ID % 10000}).
 *
 * @param rank           this process's rank, {@code 0 <= rank < worldSize}
 * @param worldSize      the number of ranks (processes)
 * @param localRank      the rank among the processes of this host
 * @param localWorldSize the number of processes on this host
 * @param masterAddr     the host rank 0 runs on (null for a world of one)
 * @param masterPort     the TCP port rank 0 listens on for the rendezvous
 * @param source         the variables (or setting) the values came from, quoted in errors
 * @param timeout        how long the rendezvous waits for the other ranks (and a rank for the master)
 */
public record Distributed(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr,
        int masterPort, String source, Duration timeout) {
    /** PyTorch's default rendezvous port. */
    public static final int DEFAULT_PORT = 29500;
    /** The rendezvous timeout unless {@code DS4J_RENDEZVOUS_TIMEOUT_S} says otherwise (torch's default is 30 min). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /** Validates the ranges and names the variable source in the message. */
    public Distributed {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(timeout, "timeout");
        if (worldSize < 1) {
            throw new IllegalArgumentException(source + ": world size " + worldSize + " is not allowed; use >= 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(source + ": rank " + rank + " is outside 0.." + (worldSize - 1)
                    + " for world size " + worldSize + "; each rank must be below the world size");
        }
        if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
            throw new IllegalArgumentException(source + ": local rank " + localRank + " is outside 0.."
                    + (localWorldSize - 1) + " for local world size " + localWorldSize);
        }
        if (worldSize > 1 && (masterAddr == null || masterAddr.isBlank())) {
            throw new IllegalArgumentException(source + ": MASTER_ADDR is not set; set it to the host of rank 0"
                    + " (e.g. mpirun -x MASTER_ADDR=<host> -x MASTER_PORT=" + DEFAULT_PORT + ")");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException(source + ": MASTER_PORT " + masterPort + " is not a TCP port; use"
                    + " 1..65535");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("rendezvous timeout must be positive, got " + timeout);
        }
    }

    /** A world of one process: nothing to connect to. */
    public static Distributed single() {
        return new Distributed(0, 1, 0, 1, null, DEFAULT_PORT, "single process", DEFAULT_TIMEOUT);
    }

    /** An explicit setting (API or CLI): all ranks on hosts reached at {@code masterAddr:masterPort}. */
    public static Distributed of(int rank, int worldSize, String masterAddr, int masterPort) {
        return new Distributed(rank, worldSize, 0, 1, masterAddr, masterPort, "explicit setting", DEFAULT_TIMEOUT);
    }

    /** From this process's environment variables (see the class comment for the order). */
    public static Distributed fromEnvironment() {
        return fromEnvironment(Map.of(), System.getenv());
    }

    /**
     * From {@code env}, with {@code overrides} (same variable names: {@code RANK}, {@code WORLD_SIZE},
     * {@code MASTER_ADDR}, ...) taking precedence over everything else.
     */
    public static Distributed fromEnvironment(Map<String, String> overrides, Map<String, String> env) {
        return LaunchEnvironment.resolve(overrides, env);
    }

    /** The same, with another rendezvous timeout. */
    public Distributed withTimeout(Duration t) {
        return new Distributed(rank, worldSize, localRank, localWorldSize, masterAddr, masterPort, source, t);
    }

    /** True when there is more than one rank. */
    public boolean isMultiProcess() {
        return worldSize > 1;
    }
}
