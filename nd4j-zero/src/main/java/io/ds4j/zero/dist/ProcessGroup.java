package io.ds4j.zero.dist;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.ds4j.zero.comm.ucx.UcxCollectives;
import io.ds4j.zero.comm.ucx.UcxNode;

/** Connects this process to the other ranks of its job: rendezvous, then UCX collectives. */
public final class ProcessGroup {
    private ProcessGroup() {
    }

    /**
     * Opens this rank's UCX node, meets the other ranks at the rendezvous and connects to all of them.
     *
     * @param d                 this process's place in the job
     * @param fingerprint       what every rank must agree on (config, model); a difference is named at the rendezvous
     * @param collectiveTimeout how long a collective waits for a peer before failing naming it
     * @return this rank's collectives (close them at the end of the job)
     */
    public static UcxCollectives connect(Distributed d, String fingerprint, Duration collectiveTimeout) {
        Objects.requireNonNull(d, "d");
        UcxNode node = UcxNode.open();
        List<byte[]> addresses;
        try {
            addresses = Rendezvous.exchange(d, fingerprint, node.address());
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return UcxCollectives.connect(node, d.rank(), addresses, collectiveTimeout);
    }
}
