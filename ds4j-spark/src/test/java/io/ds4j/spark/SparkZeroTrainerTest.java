package io.ds4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link SparkZeroTrainer} on a {@code local-cluster[2,1,1024]} Spark cluster: two executor JVMs, one core each, so
 * each rank is its own process as on a real cluster. The trained network that comes back to the driver is
 * bit-identical (no tolerance: the same float operations in the same order) to {@link ZeroTrainer} with 2 ranks as
 * threads of this JVM on the same global batches (the first {@value #STEPS} x {@value #GLOBAL} UCI digits) and
 * the same {@code threadsPerRank}, as {@code DistributedTrainerTest}
 * shows for ranks started by a launcher. A rank that fails is named on the driver, and no rank waits for it.
 *
 * <p>Set-up (the module's pom): {@code SPARK_HOME} is {@code target/spark-home} (Spark's jars and a {@code RELEASE}
 * file), the executors get this JVM's class path and the {@code --add-opens} flags Spark needs on Java 17.
 */
class SparkZeroTrainerTest {
    private static final int RANKS = 2;
    private static final int GLOBAL = 12;
    private static final int STEPS = 3;
    private static final DataSet DIGITS = OptDigits.all();
    private static JavaSparkContext sc;

    @BeforeAll
    static void cluster() throws InterruptedException {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "Spark tests skipped: "
                + UcxLibrary.unavailableReason().orElse("") + "; " + UcxLibrary.INSTALL_HINT);
        Assumptions.assumeTrue(System.getenv("SPARK_HOME") != null, "Spark tests skipped: SPARK_HOME is not set;"
                + " run them with Maven, which builds target/spark-home");
        SparkConf conf = new SparkConf().setMaster("local-cluster[" + RANKS + ",1,1024]").setAppName("ds4j-spark-test")
                .set("spark.ui.enabled", "false")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", System.getProperty("ds4j.spark.executorJavaOptions", ""))
                // a barrier stage submitted before the executors register is retried after this interval (15 s)
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        sc = new JavaSparkContext(conf);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (sc.sc().getExecutorMemoryStatus().size() <= RANKS && System.nanoTime() < deadline) {
            Thread.sleep(100); // the driver counts too
        }
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    private static MultiLayerConfiguration conf() {
        return new NeuralNetConfiguration.Builder().seed(7)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(OptDigits.FEATURES).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(12).activation(Activation.RELU)
                        .updater(new Nesterovs(0.05, 0.9)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(OptDigits.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    private static MultiLayerNetwork net() {
        MultiLayerNetwork net = new MultiLayerNetwork(conf());
        net.init();
        return net;
    }

    private static String config(int stage, String zeroExtra, String top) {
        return "{" + top + "\"train_batch_size\": " + GLOBAL + ", \"gradient_accumulation_steps\": 1,"
                + " \"zero_optimization\": {\"stage\": " + stage + zeroExtra + "}}";
    }

    /** Examples {@code [from, to)} of the digits, in the file's order. */
    private static DataSet examples(int from, int to) {
        return new DataSet(DIGITS.getFeatures().get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup(),
                DIGITS.getLabels().get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup());
    }

    /** Global batch {@code s}: the next {@value #GLOBAL} digits. */
    private static DataSet global(int s) {
        return examples(s * GLOBAL, (s + 1) * GLOBAL);
    }

    /** The RDD's elements: micro-batch r of global batch s at index s * RANKS + r, so element i goes to rank i % RANKS. */
    private static List<DataSet> microBatches() {
        int m = GLOBAL / RANKS;
        List<DataSet> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            for (int r = 0; r < RANKS; r++) {
                out.add(examples(s * GLOBAL + r * m, s * GLOBAL + (r + 1) * m));
            }
        }
        return out;
    }

    private static float[] threadRun(MultiLayerNetwork net, String json) {
        List<DataSet> globals = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            globals.add(global(s));
        }
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(RANKS)
                .threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(globals));
            return t.network().params().toFloatVector(); // a network built partitioned is gathered here
        }
    }

    /** The network from {@code source} trained on Spark equals {@code reference} trained by 2 thread ranks. */
    private static void parity(String json, NetworkSource source, MultiLayerNetwork reference) {
        SparkZeroTrainer trainer = SparkZeroTrainer.builder(source, json).ranks(RANKS).threadsPerRank(1)
                .collectiveTimeout(Duration.ofSeconds(60)).build();
        // 3 input partitions, so the elements really are dealt out again to the 2 ranks
        Model trained = trainer.fit(sc.parallelize(microBatches(), 3));
        float[] expected = threadRun(reference, json);
        MultiLayerNetwork back = assertInstanceOf(MultiLayerNetwork.class, trained);
        assertArrayEquals(expected, back.params().toFloatVector(), json);
        assertEquals(0, trainer.lastDroppedMicroBatches());
    }

    private static void parity(String json) {
        MultiLayerNetwork start = net();
        parity(json, NetworkSource.of(start), start);
    }

    @Test
    void twoExecutorsEndBitIdenticalToTwoThreadsWithFp16AtStage1() {
        parity(config(1, "", "\"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}, "));
    }

    @Test
    void twoExecutorsEndBitIdenticalToTwoThreadsAtStage2WithCpuOffload() {
        parity(config(2, ", \"offload_optimizer\": {\"device\": \"cpu\"}",
                "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}, "));
    }

    @Test
    void twoExecutorsEndBitIdenticalToTwoThreadsAtStage3FromTheConfiguration() {
        // neither side calls init(): both build the network partitioned from the configuration's seed
        parity(config(3, "", ""), NetworkSource.of(conf()), new MultiLayerNetwork(conf()));
    }

    @Test
    void aComputationGraphOnMultiDataSetsEndsBitIdenticalToTwoThreads() {
        ComputationGraph start = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(11)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(OptDigits.FEATURES).nOut(16)
                        .activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16)
                        .nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build());
        start.init();
        String json = config(2, "", "");
        List<MultiDataSet> micro = microBatches().stream().map(SparkZeroTrainerTest::multi).toList();
        Model trained = SparkZeroTrainer.builder(NetworkSource.of(start), json).ranks(RANKS).threadsPerRank(1).build()
                .fitMultiDataSet(sc.parallelize(micro, 3));
        List<MultiDataSet> globals = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            globals.add(multi(global(s)));
        }
        try (ZeroTrainer t = ZeroTrainer.builder(start).config(DeepSpeedConfig.parse(json)).worldSize(RANKS)
                .threadsPerRank(1).build()) {
            t.fit(new ListMultiDataSets(globals));
        }
        ComputationGraph back = assertInstanceOf(ComputationGraph.class, trained);
        assertArrayEquals(start.params().toFloatVector(), back.params().toFloatVector());
    }

    private static MultiDataSet multi(DataSet d) {
        return new org.nd4j.linalg.dataset.MultiDataSet(d.getFeatures(), d.getLabels());
    }

    @Test
    void aRankThatFailsIsNamedOnTheDriverAndNobodyWaits() {
        NetworkSource good = NetworkSource.of(net());
        NetworkSource failsOnRank1 = () -> {
            if (BarrierTaskContext.get().partitionId() == 1) {
                throw new IllegalStateException("this rank's network cannot be built");
            }
            return good.create();
        };
        SparkZeroTrainer trainer = SparkZeroTrainer.builder(failsOnRank1, config(0, "", "")).ranks(RANKS).build();
        SparkRankException e = assertThrows(SparkRankException.class,
                () -> trainer.fit(sc.parallelize(microBatches(), RANKS)));
        assertTrue(e.getMessage().contains("rank 1 of 2 failed before training"), e.getMessage());
        assertTrue(e.getMessage().contains("this rank's network cannot be built"), e.getMessage());
    }

    @Test
    void aRankThatFailsWhileTrainingIsNamedAndTheOtherStops() {
        List<DataSet> data = microBatches();
        DataSet bad = data.get(3); // rank 1's second micro-batch: 63 features where the network takes 64
        data.set(3, new DataSet(bad.getFeatures().get(NDArrayIndex.all(), NDArrayIndex.interval(0, 63)).dup(),
                bad.getLabels()));
        SparkZeroTrainer trainer = SparkZeroTrainer.builder(NetworkSource.of(net()), config(0, "", "")).ranks(RANKS)
                .threadsPerRank(1).collectiveTimeout(Duration.ofSeconds(20)).build();
        SparkRankException e = assertThrows(SparkRankException.class, () -> trainer.fit(sc.parallelize(data, RANKS)));
        // whichever task Spark reports first: rank 1 with its own failure, or rank 0 naming rank 1 as the cause
        assertTrue(e.getMessage().contains("rank 1 of 2 failed") || e.getMessage().contains("because rank 1 failed"),
                e.getMessage());
    }

    @Test
    void aConfigThatDoesNotFitTheRanksIsNamedOnTheDriver() {
        SparkZeroTrainer trainer = SparkZeroTrainer.builder(NetworkSource.of(net()),
                "{\"train_batch_size\": 13, \"gradient_accumulation_steps\": 1}").ranks(RANKS).build();
        RuntimeException e = assertThrows(RuntimeException.class, () -> trainer.fit(sc.parallelize(microBatches())));
        assertTrue(e.getMessage().contains("train_batch_size"), e.getMessage());
    }

    @Test
    void moreRanksThanTheClusterRunsAtOnceAreNamedBeforeTheStage() {
        SparkZeroTrainer trainer = SparkZeroTrainer.builder(NetworkSource.of(net()), config(0, "", "")).ranks(3)
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer.fit(sc.parallelize(microBatches(), RANKS)));
        assertTrue(e.getMessage().contains("ranks: 3 ranks need 3 tasks running at once, but the cluster runs 2"),
                e.getMessage());
    }
}
