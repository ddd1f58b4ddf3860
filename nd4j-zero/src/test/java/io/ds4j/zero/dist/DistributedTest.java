package io.ds4j.zero.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Reading the launcher variables: each launcher alone, their order, defaults and errors naming the variable. */
class DistributedTest {
    @Test
    void torchrunVariables() {
        Distributed d = Distributed.fromEnvironment(Map.of(), Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK",
                "1", "LOCAL_WORLD_SIZE", "2", "MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "29511"));
        assertEquals(new Distributed(3, 8, 1, 2, "10.1.2.3", 29511, "torchrun (RANK, WORLD_SIZE)",
                Distributed.DEFAULT_TIMEOUT), d);
    }

    @Test
    void openMpiVariablesWithMasterFromMinusX() {
        Distributed d = Distributed.fromEnvironment(Map.of(), Map.of("OMPI_COMM_WORLD_RANK", "5",
                "OMPI_COMM_WORLD_SIZE", "6", "OMPI_COMM_WORLD_LOCAL_RANK", "2", "OMPI_COMM_WORLD_LOCAL_SIZE", "3",
                "MASTER_ADDR", "head"));
        assertEquals(5, d.rank());
        assertEquals(6, d.worldSize());
        assertEquals(2, d.localRank());
        assertEquals(3, d.localWorldSize());
        assertEquals("head", d.masterAddr());
        assertEquals(Distributed.DEFAULT_PORT, d.masterPort());
        assertTrue(d.source().startsWith("Open MPI"), d.source());
    }

    @Test
    void slurmVariablesTakeTheMasterFromTheNodeList() {
        Distributed d = Distributed.fromEnvironment(Map.of(), Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "4",
                "SLURM_LOCALID", "1", "SLURM_NTASKS_PER_NODE", "2(x2)", "SLURM_JOB_NODELIST", "gpu[07-08],cpu1"));
        assertEquals(1, d.rank());
        assertEquals(4, d.worldSize());
        assertEquals(2, d.localWorldSize());
        assertEquals("gpu07", d.masterAddr());
        assertEquals("a", HostList.first("a,b"));
        assertEquals("n3-ib", HostList.first("n[3-4]-ib"));
    }

    /** What srun (Slurm 22.05) set for task 1 of {@code srun -n 2} on host vm in job 2, as recorded there. */
    private static Map<String, String> srunTask1() {
        return Map.of("SLURM_JOB_ID", "2", "SLURM_STEP_ID", "0", "SLURM_PROCID", "1", "SLURM_NTASKS", "2",
                "SLURM_LOCALID", "1", "SLURM_NODEID", "0", "SLURM_STEP_TASKS_PER_NODE", "2", "SLURM_TASKS_PER_NODE",
                "2", "SLURM_STEP_NODELIST", "vm", "SLURM_JOB_NODELIST", "vm");
    }

    @Test
    void srunWithoutMasterVariablesTakesTheStepsFirstHostAndAPortFromTheJobId() {
        assertEquals(new Distributed(1, 2, 1, 2, "vm", 15002, "Slurm (SLURM_PROCID, SLURM_NTASKS)",
                Distributed.DEFAULT_TIMEOUT), Distributed.fromEnvironment(Map.of(), srunTask1()));
        Map<String, String> env = new java.util.HashMap<>(srunTask1());
        env.put("SLURM_JOB_ID", "1234567");
        assertEquals(15000 + 4567, Distributed.fromEnvironment(Map.of(), env).masterPort(),
                "the last four digits of the job id: two jobs on one host rarely share a port");
        env.putAll(Map.of("MASTER_ADDR", "head", "MASTER_PORT", "29600"));
        Distributed set = Distributed.fromEnvironment(Map.of(), env);
        assertEquals("head", set.masterAddr(), "MASTER_ADDR wins over the node list");
        assertEquals(29600, set.masterPort(), "MASTER_PORT wins over the job id");
        env.remove("MASTER_ADDR");
        env.putAll(Map.of("SLURM_STEP_NODELIST", "n[12-13]", "SLURM_JOB_NODELIST", "n[10-13]"));
        assertEquals("n12", Distributed.fromEnvironment(Map.of(), env).masterAddr(),
                "a step on some of the job's hosts: rank 0 runs on the step's first host");
    }

    @Test
    void srunOnSeveralHostsTakesThisHostsTaskCount() {
        Map<String, String> env = new java.util.HashMap<>(srunTask1());
        // srun -n 7 over 3 hosts, 3+3+1 tasks: the task on the third host (node 2) is alone there
        env.putAll(Map.of("SLURM_PROCID", "6", "SLURM_NTASKS", "7", "SLURM_LOCALID", "0", "SLURM_NODEID", "2",
                "SLURM_STEP_TASKS_PER_NODE", "3(x2),1"));
        assertEquals(1, Distributed.fromEnvironment(Map.of(), env).localWorldSize());
        env.put("SLURM_NODEID", "1");
        env.put("SLURM_LOCALID", "2");
        assertEquals(3, Distributed.fromEnvironment(Map.of(), env).localWorldSize());
        assertEquals(3, SlurmEnvironment.tasksAt("k", "2,3(x4),1", 4));
        assertEquals(1, SlurmEnvironment.tasksAt("k", "2,3(x4),1", 5));
        env.put("SLURM_NODEID", "3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Distributed.fromEnvironment(Map.of(), env));
        assertEquals("SLURM_STEP_TASKS_PER_NODE=3(x2),1 lists 3 host(s) but SLURM_NODEID is 3; set LOCAL_WORLD_SIZE"
                + " (with RANK, WORLD_SIZE, LOCAL_RANK) instead", e.getMessage());
        env.put("SLURM_STEP_TASKS_PER_NODE", "3(x");
        e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(Map.of(), env));
        assertTrue(e.getMessage().startsWith("SLURM_STEP_TASKS_PER_NODE=3(x is not Slurm's 'N(xK),M' list"),
                e.getMessage());
    }

    @Test
    void aBatchScriptIsNotATaskOfSrun() {
        // what sbatch -n 2 gave its script (job 4): rank variables of the job, but no step
        Map<String, String> batch = Map.of("SLURM_JOB_ID", "4", "SLURM_PROCID", "0", "SLURM_NTASKS", "2",
                "SLURM_LOCALID", "0", "SLURM_NODEID", "0", "SLURM_TASKS_PER_NODE", "2", "SLURM_JOB_NODELIST", "vm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Distributed.fromEnvironment(Map.of(), batch));
        assertTrue(e.getMessage().startsWith("SLURM_PROCID=0 and SLURM_NTASKS=2 come from the batch script of Slurm"
                + " job 4 (SLURM_STEP_ID is not set), which is one process, not a task started by srun; start the"
                + " ranks with srun"), e.getMessage());
        Map<String, String> one = new java.util.HashMap<>(batch);
        one.put("SLURM_NTASKS", "1");
        one.put("SLURM_TASKS_PER_NODE", "1");
        assertEquals(1, Distributed.fromEnvironment(Map.of(), one).worldSize(), "sbatch -n 1: a world of one");
        Map<String, String> launched = new java.util.HashMap<>(batch);
        launched.putAll(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "vm"));
        assertEquals(1, Distributed.fromEnvironment(Map.of(), launched).rank(),
                "ds4j launch inside the batch script: its torchrun variables come first");
    }

    @Test
    void theOrderIsExplicitThenTorchrunThenMpiThenSlurm() {
        Map<String, String> all = Map.of("RANK", "1", "WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK", "2",
                "OMPI_COMM_WORLD_SIZE", "3", "SLURM_PROCID", "3", "SLURM_NTASKS", "4", "MASTER_ADDR", "h");
        assertEquals(1, Distributed.fromEnvironment(Map.of(), all).rank());
        assertEquals(0, Distributed.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "5"), all).rank());
        assertEquals(5, Distributed.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "5"), all).worldSize());
        Map<String, String> mpiAndSlurm = Map.of("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "3",
                "SLURM_PROCID", "3", "SLURM_NTASKS", "4", "MASTER_ADDR", "h");
        assertEquals(2, Distributed.fromEnvironment(Map.of(), mpiAndSlurm).rank());
        assertEquals(Distributed.single().withTimeout(Distributed.DEFAULT_TIMEOUT),
                Distributed.fromEnvironment(Map.of(), Map.of("PATH", "/bin")));
    }

    @Test
    void errorsNameTheVariableAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(
                Map.of(), Map.of("RANK", "x", "WORLD_SIZE", "2", "MASTER_ADDR", "h")));
        assertEquals("RANK=x is not a whole number; set RANK to a whole number", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(Map.of(),
                Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h")));
        assertTrue(e.getMessage().contains("rank 2 is outside 0..1 for world size 2"), e.getMessage());
        assertTrue(e.getMessage().startsWith("torchrun (RANK, WORLD_SIZE)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(Map.of(),
                Map.of("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "2")));
        assertTrue(e.getMessage().contains("MASTER_ADDR is not set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(Map.of(),
                Map.of("RANK", "0", "MASTER_ADDR", "h")));
        assertTrue(e.getMessage().startsWith("WORLD_SIZE is not set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(Map.of(),
                Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000")));
        assertTrue(e.getMessage().contains("MASTER_PORT 70000 is not a TCP port"), e.getMessage());
    }

    @Test
    void rendezvousTimeoutFromTheEnvironment() {
        Distributed d = Distributed.fromEnvironment(Map.of(), Map.of("DS4J_RENDEZVOUS_TIMEOUT_S", "7"));
        assertEquals(Duration.ofSeconds(7), d.timeout());
    }
}
