package io.ds4j.spark;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.ResolvedBatch;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.dist.Distributed;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of a {@link SparkZeroTrainer} job: the body of the barrier stage's task. Rank = the partition id, world size
 * = the number of tasks, {@code MASTER_ADDR} = task 0's host, {@code MASTER_PORT} = a free port rank 0 found, shared
 * through {@link BarrierTaskContext#allGather}. Spark carries only that, each rank's readiness and its micro-batch
 * count; the tensors go rank to rank over UCX ({@link ZeroTrainer.Builder#distributed}).
 *
 * @param <T> the RDD's element (DataSet or MultiDataSet)
 */
final class RankTask<T> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<RankResult>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(SparkZeroTrainer.class.getName());

    /** An RDD element as the micro-batch the trainer takes. */
    interface ToMicroBatch<T> extends Serializable {
        MultiDataSet apply(T element);
    }

    private final SparkZeroTrainer.Job job;
    private final ToMicroBatch<T> convert;

    RankTask(SparkZeroTrainer.Job job, ToMicroBatch<T> convert) {
        this.job = job;
        this.convert = convert;
    }

    @Override
    public scala.collection.Iterator<RankResult> apply(scala.collection.Iterator<T> data) {
        List<RankResult> out = run(JavaConverters.asJavaIteratorConverter(data).asJava());
        return JavaConverters.asScalaIteratorConverter(out.iterator()).asScala();
    }

    private List<RankResult> run(Iterator<T> data) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        BarrierTaskInfo[] tasks = ctx.getTaskInfos();
        int rank = ctx.partitionId();
        int world = tasks.length;
        String me = "rank " + rank + " of " + world;
        // 1. each rank gets ready on its own; every rank learns whether all did, so that one rank's failure stops
        //    the others at once instead of at the rendezvous timeout
        List<MultiDataSet> micro = new ArrayList<>();
        Model net = null;
        int port = 0;
        RuntimeException own = null;
        try {
            if (world != job.ranks()) {
                throw new IllegalStateException("the barrier stage runs " + world + " tasks but the job was built for "
                        + job.ranks() + " ranks; give the stage one partition per rank");
            }
            data.forEachRemaining(e -> micro.add(convert.apply(e)));
            net = job.source().create();
            if (net == null) {
                throw new IllegalStateException("the NetworkSource returned null; return a MultiLayerNetwork or"
                        + " ComputationGraph");
            }
            port = rank == 0 ? freePort() : 0;
        } catch (RuntimeException | LinkageError e) {
            own = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        long first = micro.isEmpty() ? 0 : micro.get(0).getFeatures(0).size(0);
        String[] all = ctx.allGather(port + " " + micro.size() + " " + first + " " + (own == null ? "" : own));
        List<String> failed = new ArrayList<>();
        long[] counts = new long[world];
        for (int r = 0; r < world; r++) {
            String[] f = all[r].split(" ", 4);
            counts[r] = Long.parseLong(f[1]);
            if (!f[3].isEmpty()) {
                failed.add("rank " + r + " of " + world + " failed before training (host " + host(tasks[r]) + "): "
                        + f[3]);
            }
        }
        if (!failed.isEmpty()) {
            String why = String.join("; ", failed);
            throw new SparkRankException(own != null ? why : me + " stops because " + why, own);
        }
        // 2. every rank takes the same whole steps; micro-batches beyond them are left out (DeepSpeed's drop_last)
        String[] head = all[0].split(" ", 4);
        long gas = accumulation(world, Long.parseLong(head[2]));
        long min = java.util.Arrays.stream(counts).min().orElse(0);
        long steps = min / gas;
        if (steps == 0) {
            throw new SparkRankException(me + ": the ranks hold " + java.util.Arrays.toString(counts) + " micro-batches"
                    + " (one per RDD element); one step needs gradient_accumulation_steps = " + gas + " on every rank;"
                    + " give the RDD at least " + gas * world + " elements", null);
        }
        long dropped = java.util.Arrays.stream(counts).sum() - steps * gas * world;
        if (dropped > 0 && rank == 0) {
            LOG.log(System.Logger.Level.WARNING, "the ranks hold {0} micro-batches; each rank trains {1} of them"
                    + " ({2} steps per epoch), {3} left out", java.util.Arrays.toString(counts), steps * gas, steps,
                    dropped);
        }
        // 3. train: the ranks meet at rank 0's port and exchange tensors over UCX
        int[] local = localRank(tasks, rank);
        Distributed d = new Distributed(rank, world, local[0], local[1], host(tasks[0]), Integer.parseInt(head[0]),
                "Spark barrier stage (task 0's host, rank 0's port)", job.rendezvousTimeout());
        try {
            ZeroTrainer.Builder b = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(job.configJson()))
                    .distributed(d).collectiveTimeout(job.collectiveTimeout())
                    .threadsPerRank(job.threadsPerRank() > 0 ? job.threadsPerRank() : Math.max(1, ctx.cpus()));
            try (ZeroTrainer t = b.build()) {
                t.fit(new ListMultiDataSets(micro.subList(0, (int) (steps * gas))), job.epochs());
                Model trained = t.network(); // on every rank: a network built partitioned is gathered collectively
                return rank != 0 ? List.of() : List.of(new RankResult(ModelBytes.isGraph(trained),
                        ModelBytes.write(trained), steps, dropped));
            }
        } catch (RuntimeException e) {
            throw new SparkRankException(me + " failed (host " + host(tasks[rank]) + "): " + e, e);
        }
    }

    /** Micro-batches per step: the configuration's, or with an "auto" micro batch, derived from rank 0's first. */
    private long accumulation(int world, long firstSize) {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(job.configJson());
        ResolvedBatch b = cfg.resolve(world);
        if (b.gradientAccumulationSteps().isPresent()) {
            return b.gradientAccumulationSteps().getAsLong();
        }
        return firstSize < 1 ? 1 : cfg.resolve(world, (int) firstSize).gradientAccumulationSteps().orElse(1);
    }

    /** The host part of a task's {@code host:port} address. */
    static String host(BarrierTaskInfo t) {
        String a = t.address();
        int colon = a.lastIndexOf(':');
        return colon > 0 ? a.substring(0, colon) : a;
    }

    /** {@code {local rank, local world size}}: this rank's place among the tasks on its host. */
    private static int[] localRank(BarrierTaskInfo[] tasks, int rank) {
        String mine = host(tasks[rank]);
        int local = 0;
        int size = 0;
        for (int r = 0; r < tasks.length; r++) {
            if (host(tasks[r]).equals(mine)) {
                local += r < rank ? 1 : 0;
                size++;
            }
        }
        return new int[] {local, size};
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("rank 0 found no free TCP port for the rendezvous: " + e.getMessage(), e);
        }
    }
}
