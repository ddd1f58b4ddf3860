package io.ds4j.zero.dist;

import java.util.Map;

/**
 * What Slurm's variables mean beyond the rank and the size, as {@code srun} sets them for each task of a job step
 * (checked against Slurm 22.05's {@code srun}, {@code sbatch} and {@code salloc}):
 * <ul>
 *   <li>the tasks of this host: {@code SLURM_STEP_TASKS_PER_NODE} (else {@code SLURM_TASKS_PER_NODE}) at this host's
 *       index {@code SLURM_NODEID}, written {@code 2(x3),1} for 2 tasks on each of 3 hosts then 1; else
 *       {@code SLURM_NTASKS_PER_NODE}, which srun sets only when asked for ({@code --ntasks-per-node});</li>
 *   <li>rank 0's host: the first of {@code SLURM_STEP_NODELIST}, {@code SLURM_JOB_NODELIST} or
 *       {@code SLURM_NODELIST} (the step's own hosts first: a step may use some of the job's);</li>
 *   <li>the rendezvous port, when {@code MASTER_PORT} is not set: {@value #PORT_BASE} plus the last four digits of
 *       {@code SLURM_JOB_ID}, as PyTorch Lightning derives it, so two jobs sharing a host do not both take 29500;</li>
 *   <li>a batch script ({@code SLURM_JOB_ID} without {@code SLURM_STEP_ID}) also carries {@code SLURM_PROCID=0}
 *       and the job's {@code SLURM_NTASKS}, but it is one process, not a task of {@code srun}: with more than one
 *       task that is an error naming the fix, instead of rank 0 waiting for ranks nobody started.</li>
 * </ul>
 */
final class SlurmEnvironment {
    /** The port of job 0; job j listens at {@code PORT_BASE + j % 10000}. */
    static final int PORT_BASE = 15000;

    private SlurmEnvironment() {
    }

    /** Fails when {@code env} is a batch script's (no job step) but names more than one task. */
    static void requireTask(Map<String, String> env, int size) {
        String job = env.get("SLURM_JOB_ID");
        boolean step = env.containsKey("SLURM_STEP_ID") || env.containsKey("SLURM_STEPID");
        if (job != null && !step && size > 1) {
            throw new IllegalArgumentException("SLURM_PROCID=" + env.get("SLURM_PROCID") + " and SLURM_NTASKS=" + size
                    + " come from the batch script of Slurm job " + job + " (SLURM_STEP_ID is not set), which is one"
                    + " process, not a task started by srun; start the ranks with srun (e.g. srun bin/ds4j train"
                    + " ...) or with ds4j launch --nproc " + size + ", or submit the job with -n 1 to train in one"
                    + " process");
        }
    }

    /** The tasks on this host, or {@code size} when Slurm does not say. */
    static int localSize(Map<String, String> env, int size) {
        for (String key : new String[] {"SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"}) {
            String v = env.get(key);
            if (v != null && !v.isBlank()) {
                return tasksAt(key, v, nodeId(env));
            }
        }
        String v = env.get("SLURM_NTASKS_PER_NODE");
        return v == null || v.isBlank() ? size : tasksAt("SLURM_NTASKS_PER_NODE", v, 0);
    }

    /** The first host of the step's, else the job's host list, or null. */
    static String master(Map<String, String> env) {
        for (String key : new String[] {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"}) {
            String first = HostList.first(env.get(key));
            if (first != null) {
                return first;
            }
        }
        return null;
    }

    /** The port derived from {@code SLURM_JOB_ID}, or {@link Distributed#DEFAULT_PORT} outside a job. */
    static int port(Map<String, String> env) {
        String job = env.get("SLURM_JOB_ID");
        if (job == null || job.isBlank()) {
            return Distributed.DEFAULT_PORT;
        }
        try {
            return PORT_BASE + (int) (Long.parseLong(job.trim()) % 10_000);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SLURM_JOB_ID=" + job + " is not a whole number; set MASTER_PORT to"
                    + " rank 0's rendezvous port");
        }
    }

    private static int nodeId(Map<String, String> env) {
        String v = env.get("SLURM_NODEID");
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SLURM_NODEID=" + v + " is not a whole number; set LOCAL_WORLD_SIZE"
                    + " (with RANK, WORLD_SIZE, LOCAL_RANK) instead");
        }
    }

    /**
     * The count of host {@code node} in Slurm's compressed list {@code 2(x3),1}: 2 on each of the first 3 hosts, then
     * 1.
     */
    static int tasksAt(String key, String list, int node) {
        int seen = 0;
        for (String entry : list.split(",")) {
            String e = entry.trim();
            int open = e.indexOf("(x");
            try {
                int count = Integer.parseInt(open < 0 ? e : e.substring(0, open));
                int hosts = open < 0 ? 1 : Integer.parseInt(e.substring(open + 2, e.length() - 1));
                seen += hosts;
                if (node < seen) {
                    return count;
                }
            } catch (NumberFormatException | StringIndexOutOfBoundsException ex) {
                throw new IllegalArgumentException(key + "=" + list + " is not Slurm's 'N(xK),M' list; set"
                        + " LOCAL_WORLD_SIZE (with RANK, WORLD_SIZE, LOCAL_RANK) instead");
            }
        }
        throw new IllegalArgumentException(key + "=" + list + " lists " + seen + " host(s) but SLURM_NODEID is "
                + node + "; set LOCAL_WORLD_SIZE (with RANK, WORLD_SIZE, LOCAL_RANK) instead");
    }
}
