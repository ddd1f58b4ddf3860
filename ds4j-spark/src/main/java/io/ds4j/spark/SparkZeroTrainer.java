package io.ds4j.spark;

import io.ds4j.config.DeepSpeedConfig;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.reflect.ClassTag$;

/**
 * Trains a DL4J network with ds4j's ZeRO on a Spark cluster, the way Spark's TorchDistributor runs PyTorch: the job
 * is one barrier stage with one task per rank, and each task runs one rank of a
 * {@link io.ds4j.dl4j.ZeroTrainer} whose ranks are processes (the executors). The ranks meet at task 0's host; the
 * tensors go rank to rank over UCX, never through Spark. {@code fit} returns rank 0's trained network on the driver.
 *
 * <pre>{@code
 * SparkZeroTrainer trainer = SparkZeroTrainer.builder(NetworkSource.of(net), deepSpeedJson).ranks(4).build();
 * MultiLayerNetwork trained = (MultiLayerNetwork) trainer.fit(microBatches); // JavaRDD<DataSet>
 * }</pre>
 *
 * <p><b>Data.</b> Each RDD element is one micro-batch ({@code train_micro_batch_size_per_gpu} examples, as a
 * DeepSpeed rank's data loader yields them). Element {@code i} (in the RDD's order) goes to rank {@code i % ranks}, as
 * PyTorch's {@code DistributedSampler} deals out samples, so a global step takes the next {@code ranks *
 * gradient_accumulation_steps} elements in order. Every rank takes the same number of whole steps; elements beyond
 * them are left out (logged), as with {@code drop_last}.
 *
 * <p><b>Errors.</b> A rank that fails fails the job: {@code fit} throws a {@link SparkRankException} naming the rank,
 * its host and the cause (Spark does not retry a failed barrier stage that returns results). A rank that fails before
 * training (its network, its data) stops every rank at once; one that fails while training stops the others within
 * the collective timeout. A world size the cluster cannot run at once, or a config the world size does not fit, is
 * named on the driver before the stage starts.
 */
public final class SparkZeroTrainer {
    /** What every rank's task carries. */
    record Job(NetworkSource source, String configJson, int ranks, int threadsPerRank, int epochs,
               Duration collectiveTimeout, Duration rendezvousTimeout) implements Serializable {
    }

    private final NetworkSource source;
    private final String configJson;
    private final int ranks;
    private final int threadsPerRank;
    private final int epochs;
    private final Duration collectiveTimeout;
    private final Duration rendezvousTimeout;
    private long lastDropped;

    private SparkZeroTrainer(Builder b) {
        this.source = b.source;
        this.configJson = b.configJson;
        this.ranks = b.ranks;
        this.threadsPerRank = b.threadsPerRank;
        this.epochs = b.epochs;
        this.collectiveTimeout = b.collectiveTimeout;
        this.rendezvousTimeout = b.rendezvousTimeout;
    }

    /**
     * @param net how each rank gets the network ({@link NetworkSource#of})
     * @param deepSpeedJson the DeepSpeed configuration (the text of a {@code ds_config.json})
     * @return a builder
     */
    public static Builder builder(NetworkSource net, String deepSpeedJson) {
        return new Builder(net, deepSpeedJson);
    }

    /**
     * Trains on {@code data}, one micro-batch per element, and returns the trained network.
     *
     * @param data the micro-batches (DataSet: a MultiLayerNetwork, or a ComputationGraph with one input and output)
     * @return rank 0's network after training (a MultiLayerNetwork or ComputationGraph, as the source's)
     * @throws SparkRankException naming the rank that failed and why
     */
    public Model fit(JavaRDD<DataSet> data) {
        return run(data, new DataSetMicroBatch());
    }

    /**
     * Trains a ComputationGraph on multi-input/multi-output micro-batches, one per element.
     *
     * @param data the micro-batches
     * @return rank 0's network after training
     * @throws SparkRankException naming the rank that failed and why
     */
    public Model fitMultiDataSet(JavaRDD<MultiDataSet> data) {
        return run(data, m -> m);
    }

    /** Micro-batches left out by the last {@code fit} so that every rank took the same whole steps. */
    public long lastDroppedMicroBatches() {
        return lastDropped;
    }

    private <T> Model run(JavaRDD<T> data, RankTask.ToMicroBatch<T> convert) {
        Objects.requireNonNull(data, "data");
        int n = ranks > 0 ? ranks : data.context().defaultParallelism();
        DeepSpeedConfig.parse(configJson).resolve(n); // names the batch key the world size does not fit
        int slots = data.context().defaultParallelism();
        if (n > slots) {
            throw new IllegalArgumentException("ranks: " + n + " ranks need " + n + " tasks running at once, but the"
                    + " cluster runs " + slots + " (spark.default.parallelism / executor cores); use ranks(" + slots
                    + ") or fewer, or add executors");
        }
        Job job = new Job(source, configJson, n, threadsPerRank, epochs, collectiveTimeout, rendezvousTimeout);
        RDD<RankResult> stage = perRank(data, n).rdd().barrier().mapPartitions(new RankTask<>(job, convert), false,
                ClassTag$.MODULE$.apply(RankResult.class));
        List<RankResult> results;
        try {
            results = stage.toJavaRDD().collect();
        } catch (Exception e) { // collect() throws SparkException, a checked exception Java does not see declared
            throw failure(e, n);
        }
        if (results.size() != 1) {
            throw new IllegalStateException("expected rank 0's network from the barrier stage, got " + results.size()
                    + " results");
        }
        RankResult r = results.get(0);
        lastDropped = r.droppedMicroBatches();
        return ModelBytes.read(r.model(), r.graph());
    }

    /** Element {@code i} to partition {@code i % ranks}, each partition in the RDD's order. */
    static <T> JavaRDD<T> perRank(JavaRDD<T> data, int ranks) {
        return data.zipWithIndex().mapToPair(t -> t.swap())
                .repartitionAndSortWithinPartitions(new RankPartitioner(ranks)).values();
    }

    /** Spark's report of the failed stage, led by the failing rank's own message when Spark passed it on. */
    private static RuntimeException failure(Exception e, int n) {
        if (!(e instanceof SparkException)) {
            return e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        String text = String.valueOf(e.getMessage());
        String marker = SparkRankException.class.getName() + ": ";
        int at = text.indexOf(marker);
        String why = at < 0 ? text : text.substring(at + marker.length()).lines().findFirst().orElse("");
        return new SparkRankException("ds4j-spark job of " + n + " ranks failed: " + why, e);
    }

    /** Element index to rank. */
    static final class RankPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int ranks;

        RankPartitioner(int ranks) {
            this.ranks = ranks;
        }

        @Override
        public int numPartitions() {
            return ranks;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) ranks);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RankPartitioner p && p.ranks == ranks;
        }

        @Override
        public int hashCode() {
            return ranks;
        }
    }

    /** A DataSet as the trainer's micro-batch (features, labels and their masks). */
    private static final class DataSetMicroBatch implements RankTask.ToMicroBatch<DataSet> {
        private static final long serialVersionUID = 1L;

        @Override
        public MultiDataSet apply(DataSet d) {
            return new org.nd4j.linalg.dataset.MultiDataSet(d.getFeatures(), d.getLabels(), d.getFeaturesMaskArray(),
                    d.getLabelsMaskArray());
        }
    }

    /** Options of a {@link SparkZeroTrainer}. */
    public static final class Builder {
        private final NetworkSource source;
        private final String configJson;
        private int ranks;
        private int threadsPerRank;
        private int epochs = 1;
        private Duration collectiveTimeout = io.ds4j.zero.dist.CollectiveTimeout.fromEnvironment(System.getenv());
        private Duration rendezvousTimeout = io.ds4j.zero.dist.Distributed.DEFAULT_TIMEOUT;

        private Builder(NetworkSource source, String configJson) {
            this.source = Objects.requireNonNull(source, "net");
            this.configJson = Objects.requireNonNull(configJson, "deepSpeedJson");
            DeepSpeedConfig.parse(configJson); // a bad key or value is named here, on the driver
        }

        /**
         * @param n ranks (barrier tasks, one per executor core); default: the context's default parallelism
         *          @return this
         */
        public Builder ranks(int n) {
            this.ranks = atLeastOne("ranks", n);
            return this;
        }

        /** @param n ND4J native threads per rank; default: {@code spark.task.cpus} @return this */
        public Builder threadsPerRank(int n) {
            this.threadsPerRank = atLeastOne("threadsPerRank", n);
            return this;
        }

        /** @param n passes over each rank's micro-batches, at least 1 (default 1) @return this */
        public Builder epochs(int n) {
            this.epochs = atLeastOne("epochs", n);
            return this;
        }

        /**
         * @param t how long a collective waits for the other ranks (default: the driver's {@code
         *          DS4J_COLLECTIVE_TIMEOUT_S} or {@code DEEPSPEED_TIMEOUT}, else 10 min) @return this
         */
        public Builder collectiveTimeout(Duration t) {
            this.collectiveTimeout = Objects.requireNonNull(t, "collectiveTimeout");
            return this;
        }

        /** @param t how long the ranks wait for each other at the rendezvous (default 5 min) @return this */
        public Builder rendezvousTimeout(Duration t) {
            this.rendezvousTimeout = Objects.requireNonNull(t, "rendezvousTimeout");
            return this;
        }

        private static int atLeastOne(String key, int n) {
            if (n < 1) {
                throw new IllegalArgumentException(key + ": " + n + " is not allowed; use at least 1");
            }
            return n;
        }

        /** @return the trainer */
        public SparkZeroTrainer build() {
            return new SparkZeroTrainer(this);
        }
    }
}
