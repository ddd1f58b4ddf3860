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
