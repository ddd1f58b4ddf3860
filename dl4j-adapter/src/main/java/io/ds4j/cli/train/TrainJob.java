package io.ds4j.cli.train;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.ResolvedBatch;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.dist.Distributed;
import io.ds4j.precision.LossScale;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One {@code ds4j train} run: the OptDigits MLP ({@link DigitsModel}) trained for a number of steps by a
 * {@link ZeroTrainer} given the whole configuration (its optimizer and scheduler sections included); then evaluated on
 * the held-out split and saved as a ModelSerializer zip.
 */
public final class TrainJob {
    /** Training examples of the 1797 (the rest, 360, are the test split). */
    public static final int TRAIN_SIZE = 1437;
    /** The seed of the split, the weights and the shuffling. */
    public static final long SEED = 42;
    /** The network's DL4J Adam lr: what the engine reads for an {@code "auto"} optimizer lr. */
    public static final double AUTO_LR = 1e-3;
    /** Examples per rank per micro-batch that {@code "auto"} batch keys resolve to (ds4j train's loader batch). */
    public static final int AUTO_MICRO_BATCH = 32;
    /** The embedded copy of {@code examples/configs/default.json}. */
    public static final String DEFAULT_CONFIG = "/io/ds4j/cli/train/default.json";

    /**
     * What to run.
     *
     * @param configJson the DeepSpeed configuration's text
     * @param configName where it came from, for the header
     * @param worldSize ranks (threads)
     * @param steps optimizer steps
     * @param out where to save the model zip
     * @param model {@code digits} ({@link DigitsModel}) or {@code wide} ({@link WideDigitsModel})
     * @param saving checkpoints ({@code --save-dir}, {@code --save-every}, {@code --resume})
     */
    public record Request(String configJson, String configName, int worldSize, int steps, Path out, String model,
                          Saving saving) {
        /** The OptDigits MLP ({@code digits}). */
        public Request(String configJson, String configName, int worldSize, int steps, Path out) {
            this(configJson, configName, worldSize, steps, out, "digits");
        }

        /** No checkpoints. */
        public Request(String configJson, String configName, int worldSize, int steps, Path out, String model) {
            this(configJson, configName, worldSize, steps, out, model, Saving.NONE);
        }

        /** Checks the numbers and the model name. */
        public Request {
            if (!"digits".equals(model) && !"wide".equals(model)) {
                throw new IllegalArgumentException("--model: '" + model + "' is not a model; use digits (the 50k"
                        + " MLP) or wide (5.2M parameters in 10 layers)");
            }
            if (worldSize < 1) {
                throw new IllegalArgumentException("--world-size: " + worldSize + " is not allowed; use at least 1");
            }
            if (steps < 1) {
                throw new IllegalArgumentException("--steps: " + steps + " is not allowed; use at least 1");
            }
        }
    }

    private TrainJob() {
    }

    /** @return the text of the embedded default configuration */
    public static String defaultConfig() {
        try (InputStream in = TrainJob.class.getResourceAsStream(DEFAULT_CONFIG)) {
            if (in == null) {
                throw new IllegalStateException("resource " + DEFAULT_CONFIG + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the job.
     *
     * @param request what to run
     * @param err where progress goes
     * @param terminal whether {@code err} is a terminal
     * @return the summary
     * @throws DeepSpeedConfigException when the configuration is invalid or asks for what the engine cannot do yet
     * @throws IOException when the model cannot be written
     */
    public static TrainSummary run(Request asked, PrintStream stderr, boolean terminal) throws IOException {
        Distributed launched = Distributed.fromEnvironment(); // under torchrun, mpirun, srun or ds4j launch
        Request request = launched.isMultiProcess() ? new Request(asked.configJson(), asked.configName(),
                launched.worldSize(), // launcher's size
                asked.steps(), asked.out(), asked.model(), asked.saving()) : asked;
        PrintStream err = launched.rank() == 0 ? stderr : new PrintStream(java.io.OutputStream.nullOutputStream());
        DeepSpeedConfig config = withRunLength(DeepSpeedConfig.parse(request.configJson()), request);
        config.warnings().forEach(w -> err.println("warning: " + w));
        int globalBatch = globalBatch(config, request.worldSize());
        DataSet[] split = OptDigits.split(TRAIN_SIZE, SEED);
        ComputationGraph net = "wide".equals(request.model()) ? WideDigitsModel.build(new Adam(AUTO_LR), SEED)
                : DigitsModel.build(new Adam(AUTO_LR), SEED);
        ZeroTrainer.Builder builder = ZeroTrainer.builder(net).config(config);
        builder = launched.isMultiProcess() ? builder.distributed(launched) : builder.worldSize(request.worldSize());
        try (ZeroTrainer trainer = builder.build()) { // progress from rank 0's process only
            header(err, request, config, globalBatch, net.numParams(), trainer.precision().halfCompute());
            ProgressListener progress = new ProgressListener(err, new ProgressListener.Settings(request.steps(),
                    globalBatch, config.options().stepsPerPrint().orElse(0), config.options().wallClockBreakdown(),
                    terminal), new ProgressListener.Engine(StepLearningRate.of(config, net), trainer::memoryReport,
                    () -> config.fp16().enabled() ? LossScale.format(trainer.lossScale().value()) : "-",
                    trainer::skippedSteps));
            request.saving().resumeIfAsked(trainer, net, err);
            net.setListeners(progress);
            request.saving().listener(trainer, request.steps()).ifPresent(net::addListeners);
            // made step by step; each process feeds its own micro-batches, as DeepSpeed's loaders
            StepBatchIterator batches = launched.isMultiProcess() ? new StepBatchIterator(split[0], globalBatch,
                    request.steps(), SEED, launched.rank(), launched.worldSize(),
                    trainer.options().gradientAccumulationSteps())
                    : new StepBatchIterator(split[0], globalBatch, request.steps(), SEED);
            long t0 = System.nanoTime();
            trainer.fit(batches); // after --resume: the steps already trained are skipped
            double seconds = (System.nanoTime() - t0) / 1e9;
            Stage3MemoryReport.printIfStage3(err, config, net, request.worldSize(), trainer.memoryReport());
            net.setListeners();
            Evaluation eval = net.evaluate(new ExistingDataSetIterator(List.of(split[1])));
            if (launched.rank() == 0) { // every process holds the same network; rank 0 writes it
                ModelSerializer.writeModel(net, request.out().toFile(), false);
            }
            return new TrainSummary(request.steps(), progress.losses(), trainer.skippedSteps(), eval.accuracy(),
                    trainer.memoryReport(),
                    new TrainSummary.Timing(seconds, (long) request.steps() * globalBatch), request.out());
        }
    }

    /**
     * The global batch: DeepSpeed's triad; where it is {@code "auto"} (Hugging Face style configs) each rank's loader
     * is taken to give {@value #AUTO_MICRO_BATCH} examples per micro-batch, as a DeepSpeed launch resolves
     * {@code "auto"} from the data loader's batch size.
     */
    private static int globalBatch(DeepSpeedConfig config, int worldSize) {
        ResolvedBatch batch = config.resolve(worldSize);
        if (batch.trainBatchSize().isEmpty() && hasAutoBatchKey(config)) {
            batch = config.resolve(worldSize, AUTO_MICRO_BATCH);
        }
        if (batch.trainBatchSize().isEmpty()) {
            throw new DeepSpeedConfigException("train_batch_size", "is not set and cannot be derived; give"
                    + " train_batch_size, or train_micro_batch_size_per_gpu (with gradient_accumulation_steps)");
        }
        return (int) batch.trainBatchSize().getAsLong();
    }

    /**
     * The configuration with an {@code "auto"} {@code scheduler.params.total_num_steps} set to the run's
     * {@code --steps} (the run's length is known here, as the Hugging Face integration knows its number of training
     * steps); the other {@code "auto"} scheduler params are resolved by the engine
     * ({@code SchedulerSection.withAutoResolved}).
     */
    static DeepSpeedConfig withRunLength(DeepSpeedConfig config, Request request) {
        if (config.scheduler().map(s -> !"auto".equals(s.params().get("total_num_steps"))).orElse(true)) {
            return config;
        }
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode root =
                    (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(request.configJson());
            ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("scheduler").get("params"))
                    .put("total_num_steps", request.steps());
            return DeepSpeedConfig.parse(json.writeValueAsString(root));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e); // the text parsed once already
        }
    }

    private static boolean hasAutoBatchKey(DeepSpeedConfig config) {
        for (String p : config.autoPaths()) {
            if (p.equals("train_batch_size") || p.equals("train_micro_batch_size_per_gpu")
                    || p.equals("gradient_accumulation_steps")) {
                return true;
            }
        }
        return false;
    }

    private static void header(PrintStream err, Request r, DeepSpeedConfig c, int batch, long params,
                               boolean halfCompute) {
        err.println(String.format(Locale.ROOT, "ds4j train: %s | OptDigits %d train / %d test | MLP %d params",
                r.configName(), TRAIN_SIZE, OptDigits.SIZE - TRAIN_SIZE, params));
        String precision = c.fp16().enabled() ? (halfCompute ? "fp16 (HALF compute)" : "fp16 (FLOAT compute on fp16"
                + " values)") : c.bf16().enabled() ? "bf16 (FLOAT compute on bf16 values)" : "fp32";
        err.println(String.format(Locale.ROOT, "  world size %d, ZeRO stage %d, %s, train_batch_size %s, %d steps,"
                + " gradient_clipping %s", r.worldSize(), c.zero().stage(), precision, batch
                + (hasAutoBatchKey(c) ? " (\"auto\": " + AUTO_MICRO_BATCH + " per rank)" : ""), r.steps(),
                c.gradientClipping()));
        err.println("  optimizer " + StepLearningRate.describe(c));
    }
}
