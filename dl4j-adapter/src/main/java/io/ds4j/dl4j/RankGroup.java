package io.ds4j.dl4j;

import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.ucx.UcxCollectives;
import io.ds4j.zero.dist.Distributed;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The ranks of a {@link ZeroTrainer} that live in this JVM: every rank of the job as threads, or, when ranks are
 * processes ({@link ZeroTrainer.Builder#distributed}), this process's one rank, connected over UCX
 * ({@link ProcessRanks}). It knows how those ranks get their data ({@link #feed}) and says goodbye to the other
 * processes at {@link #close}.
 */
final class RankGroup implements AutoCloseable {
    private final List<? extends Collectives> comms; // this JVM's ranks: all of them, or one when ranks are processes
    private final int worldSize;
    private final boolean processes;

    private RankGroup(List<? extends Collectives> comms, int worldSize, boolean processes) {
        this.comms = comms;
        this.worldSize = worldSize;
        this.processes = processes;
    }

    /**
     * Connects this JVM's ranks; with processes, meets the other ranks at the rendezvous and starts from rank 0's
     * parameters. Nothing stays open when this throws.
     *
     * @param net         the user's network
     * @param worldSize   the ranks of the job
     * @param distributed this process's place in a job whose ranks are processes, or null for ranks as threads
     * @param jobText     what every process must agree on (the resolved config)
     * @param timeout     how long a collective waits for the other ranks
     * @return the group
     */
    static RankGroup open(Model net, int worldSize, Distributed distributed, String jobText, Duration timeout) {
        if (distributed == null || !distributed.isMultiProcess()) {
            return new RankGroup(InProcessCollectives.create(worldSize, timeout), worldSize, false);
        }
        RankGroup g = new RankGroup(List.of(ProcessRanks.connect(distributed, jobText, ProcessRanks.numParams(net),
                timeout)), worldSize, true);
        try {
            ProcessRanks.startFromRankZero(g.comms.get(0), net); // every rank starts from rank 0's parameters
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** @return one collective group member per rank of this JVM, in rank order */
    List<? extends Collectives> comms() {
        return comms;
    }

    /** @return whether ranks are processes (this JVM runs one of them) */
    boolean processes() {
        return processes;
    }

    /** @return whether rank 0 runs in this JVM (the {@code csv_monitor} is its, as in DeepSpeed) */
    boolean holdsRankZero() {
        return comms.get(0).rank() == 0;
    }

    /**
     * Where this JVM's ranks take each step's micro-batches from: the iterator's global batches split for every rank
     * ({@link BatchFeed}), or, with processes, this rank's own micro-batches ({@link ProcessFeed}).
     *
     * @param batches      the iterator's batches
     * @param batch        how a global batch is split
     * @param accumulation {@code gradient_accumulation_steps}
     * @return the epoch's step source
     */
    StepSource feed(Iterator<MultiDataSet> batches, GlobalBatch batch, int accumulation) {
        return processes ? new ProcessFeed(batches, comms.get(0), accumulation)
                : new BatchFeed(batches, worldSize, batch);
    }

    /** @return what this JVM's ranks moved so far, summed over them */
    CommStats stats() {
        CommStats total = CommStats.empty();
        for (Collectives c : comms) {
            total = total.plus(c.stats());
        }
        return total;
    }

    /** Ranks as processes: says goodbye to the other ranks and closes the UCX connections; nothing otherwise. */
    @Override
    public void close() {
        if (processes) {
            ((UcxCollectives) comms.get(0)).close();
        }
    }
}
