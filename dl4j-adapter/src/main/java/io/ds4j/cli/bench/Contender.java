package io.ds4j.cli.bench;

import io.ds4j.cli.train.DigitsModel;
import io.ds4j.cli.train.StepBatches;
import io.ds4j.cli.train.StepClock;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.dl4j.NativeThreads;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One way of training the bench model: plain {@code fit()}, {@code ParallelWrapper}, or ds4j's {@code ZeroTrainer}.
 * Each builds a fresh network with the same seed and the same updater (Adam, lr 1e-3).
 */
public sealed interface Contender permits Contender.PlainFit, Contender.Wrapper, Contender.Zero {
    /** The bench's learning rate. */
    double LR = 1e-3;

    /** @return the row name */
    String name();

    /**
     * @param data the batches
     * @return what happened
     * @throws Exception a failure of the contender
     */
    Outcome run(BenchData data) throws Exception;

    /** @return a fresh bench network */
    static ComputationGraph network() {
        return DigitsModel.build(new Adam(LR), TrainJob.SEED);
    }

    /**
     * Plain DL4J {@code ComputationGraph.fit(iterator)} on the whole global batch.
     *
     * @param threads ND4J's native threads while it runs; 0 keeps ND4J's default (all cores)
     */
    record PlainFit(int threads) implements Contender {
        @Override
        public String name() {
            return threads == 0 ? "dl4j fit()" : "dl4j fit() " + threads + "thr";
        }

        @Override
        public Outcome run(BenchData data) throws Exception {
            ComputationGraph net = network();
            StepClock clock = new StepClock();
            net.setListeners(clock);
            try (NativeThreads ignored = threads > 0 ? NativeThreads.open(threads) : null) {
                double[] rates = data.measure(b -> {
                    clock.reset();
                    net.fit(StepBatches.iterator(b));
                });
                return new Outcome.Measured(name(), rates, -1, net.score(data.train()),
                        net.params().toFloatVector(), clock.breakdown().format());
            }
        }
    }

    /**
     * DL4J's ParallelWrapper, 2 workers, AVERAGING after every iteration, each worker half a global batch.
     *
     * @param threads ND4J's op and BLAS threads while it runs ({@code NativeThreads}, process-wide); 0 keeps ND4J's
     *                default (all cores, for each worker). ZeroTrainer sets cores / ranks by default, so the bench
     *                also runs ParallelWrapper so; the workers' OpenMP team size, a per-thread setting, cannot be set
     *                from outside DL4J's worker threads and stays OpenMP's default.
     */
    record Wrapper(int threads) implements Contender {
        @Override
        public String name() {
            return threads == 0 ? "ParallelWrapper x2 avg" : "ParallelWrapper x2 avg " + threads + "thr";
        }

        @Override
        public Outcome run(BenchData data) throws Exception {
            ComputationGraph net = network();
            try (NativeThreads ignored = threads > 0 ? NativeThreads.open(threads) : null;
                 ParallelWrapper pw = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(4)
                    .averagingFrequency(1).reportScoreAfterAveraging(true)
                    .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build()) {
                double[] rates = data.measure(b -> pw.fit(new ExistingDataSetIterator(halves(b))));
                return new Outcome.Measured(name(), rates, -1, net.score(data.train()),
                        net.params().toFloatVector(), "");
            }
        }

        private static List<DataSet> halves(List<DataSet> batches) {
            List<DataSet> out = new ArrayList<>();
            for (DataSet d : batches) {
                int half = d.numExamples() / 2;
                out.add((DataSet) d.getRange(0, half));
                out.add((DataSet) d.getRange(half, d.numExamples()));
            }
            return out;
        }
    }

    /**
     * ds4j's ZeroTrainer with 2 ranks.
     *
     * @param stage {@code zero_optimization.stage}
     * @param precision fp32, fp16 or bf16
     * @param offload whether {@code offload_optimizer.device} is cpu
     * @param deepSpeedAdam false: the network's DL4J Adam runs on each shard (the same updates as {@code fit()});
     *                      true: an {@code optimizer} section (DeepSpeed's Adam, the engine's fused kernel, PyTorch's
     *                      epsilon placement) with the same lr, betas and eps. The offload rows use it: the engine
     *                      offloads only DeepSpeed's optimizer state, not a DL4J updater's
     */
    record Zero(int stage, String precision, boolean offload, boolean deepSpeedAdam) implements Contender {
        @Override
        public String name() {
            return String.format(Locale.ROOT, "ds4j zero-%d %s %s%s", stage, precision, offload ? "cpu-offload"
                    : "no-offload", deepSpeedAdam ? " DS-Adam" : "");
        }

        /** @param globalBatch {@code train_batch_size} @return the DeepSpeed configuration of this row */
        public String json(int globalBatch) {
            String optimizer = deepSpeedAdam ? String.format(Locale.ROOT, " \"optimizer\": {\"type\": \"Adam\","
                    + " \"params\": {\"lr\": %s, \"betas\": [0.9, 0.999], \"eps\": 1e-8, \"weight_decay\": 0}},",
                    LR) : "";
            return String.format(Locale.ROOT, "{\"train_batch_size\": %d, \"gradient_accumulation_steps\": 1,%s"
                    + " \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": %d%s},"
                    + " \"fp16\": {\"enabled\": %b}, \"bf16\": {\"enabled\": %b}}", globalBatch, optimizer, stage,
                    offload ? ", \"offload_optimizer\": {\"device\": \"cpu\"}" : "", precision.equals("fp16"),
                    precision.equals("bf16"));
        }

        @Override
        public Outcome run(BenchData data) throws Exception {
            ComputationGraph net = network();
            ZeroTrainer trainer;
            try {
                trainer = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json(data.globalBatch())))
                        .worldSize(2).build();
            } catch (DeepSpeedConfigException | IllegalArgumentException e) {
                return new Outcome.Unsupported(name(), e.getMessage());
            }
            try (trainer) {
                StepClock clock = new StepClock();
                net.setListeners(clock);
                double[] rates = data.measure(b -> {
                    clock.reset();
                    trainer.fit(StepBatches.iterator(b));
                });
                net.setListeners();
                return new Outcome.Measured(name(), rates, peak(trainer.memoryReport()),
                        net.score(data.train()), net.params().toFloatVector(), clock.breakdown().format());
            }
        }

        private static long peak(List<LedgerSnapshot> ledgers) {
            long max = 0;
            for (LedgerSnapshot s : ledgers) {
                long sum = 0;
                for (MemoryTier t : MemoryTier.values()) {
                    sum += s.tierPeakBytes(t);
                }
                max = Math.max(max, sum);
            }
            return max;
        }
    }
}
