package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.checkpoint.CheckpointConfig;
import io.ds4j.dl4j.checkpoint.TagValidation;
import io.ds4j.dl4j.monitor.CsvMonitorConfig;
import io.ds4j.zero.dist.Distributed;
import java.time.Duration;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * How {@link ZeroTrainer.Builder#build()} turns the builder's settings into a trainer's parts. First it resolves and
 * checks: a DeepSpeed configuration is resolved for the world size; a world size that contradicts the distributed
 * one is refused; a network not yet initialised is initialised below stage 3; the precision's compute type is
 * resolved. Then it opens the rank group, the engine and the {@code csv_monitor}, in that order; whatever fails,
 * nothing opened so far stays open.
 */
final class TrainerAssembly {
    private TrainerAssembly() {
    }

    /**
     * The builder's settings, as the user gave them.
     *
     * @param deepSpeedConfig the configuration, or null for {@code options} and {@code precision}
     * @param distributed     this process's place in a multi-process job, or null
     * @param compute         the compute type, or null for the system property's
     * @param threadsPerRank  native threads per rank, or 0 for the cores divided by the ranks of this JVM
     * @param tagValidation   the checkpoint tag validation, or null for the configuration's (else WARN)
     * @param residentSlack   the {@link ResidentGuard}'s slack, or NaN for its system property's
     */
    record Settings(Model net, EngineOptions options, EnginePrecision precision, EnginePrecision.Compute compute,
                    DeepSpeedConfig deepSpeedConfig, int worldSize, Distributed distributed, Duration timeout,
                    int threadsPerRank, TagValidation tagValidation, double residentSlack) { }

    /** The parts of a trainer, all open. */
    record Parts(Replica main, EngineOptions options, EnginePrecision precision, GlobalBatch batch,
                 int threadsPerRank, RankGroup group, StageEngine engine, TrainingMonitor monitor,
                 TrainerProgress progress, ResidentGuard guard) {
        /** @return what the epoch loop drives, {@code onFailure} closing the trainer */
        EpochLoop.Parts loop(Runnable onFailure) {
            return new EpochLoop.Parts(main, engine, monitor, group, batch, options.gradientAccumulationSteps(),
                    threadsPerRank, progress, onFailure, guard);
        }
    }

    /**
     * @param s the builder's settings
     * @return the trainer's parts
     * @throws IllegalArgumentException naming the setting that contradicts another
     */
    static Parts assemble(Settings s) {
        ResidentGuard guard = ResidentGuard.forProcess(s.residentSlack()); // a bad property fails before any opening
        DeepSpeedConfig config = s.deepSpeedConfig();
        int world = s.worldSize();
        EngineOptions options = config != null ? EngineOptions.from(config, world) : s.options();
        EnginePrecision precision = config != null ? EnginePrecision.from(config, world) : s.precision();
        GlobalBatch batch = config != null ? GlobalBatch.of(config, world)
                : GlobalBatch.ofOptions(options.gradientAccumulationSteps());
        TagValidation tags = s.tagValidation() != null ? s.tagValidation()
                : config != null ? CheckpointConfig.from(config, world).tagValidation() : TagValidation.WARN;
        Distributed d = s.distributed();
        if (d != null && world != d.worldSize()) {
            throw new IllegalArgumentException("worldSize: " + world + " differs from the distributed world"
                    + " size " + d.worldSize() + " (" + d.source() + "); set only one");
        }
        Model net = s.net();
        if (options.zero().stage() < 3 && PartitionedConstruction.applies(net)) {
            ((MultiLayerNetwork) net).init(); // partitioned construction is stage 3's; below, every rank has all
        }
        EnginePrecision.Compute c = s.compute() != null ? s.compute() : EnginePrecision.Compute.fromSystemProperty();
        precision = precision.resolve(c, EnginePrecision.cudaBackend(),
                precision.fp16().enabled() ? Replica.halfBlocker(net) : null);
        boolean processes = d != null && d.isMultiProcess();
        int threads = s.threadsPerRank() > 0 ? s.threadsPerRank() : defaultThreads(processes ? d : null, world);
        String jobText = config != null ? config.toJson(world) : options + " " + precision; // the rendezvous's
        Replica main = new Replica(net);
        RankGroup group = RankGroup.open(net, world, d, jobText, s.timeout()); // closes itself on failure
        return open(main, options, precision, batch, threads, tags, group, guard);
    }

    /** The engine and the monitor on an open group; closes the group when they fail. */
    private static Parts open(Replica main, EngineOptions options, EnginePrecision precision, GlobalBatch batch,
                              int threads, TagValidation tags, RankGroup group, ResidentGuard guard) {
        StageEngine engine;
        try {
            engine = StageEngine.open(main, options, precision, group.comms(), threads); // closes itself on failure
        } catch (RuntimeException e) {
            group.close();
            throw e;
        }
        TrainingMonitor monitor;
        try { // the csv_monitor of rank 0's process only, as in DeepSpeed
            monitor = TrainingMonitor.open(group.holdsRankZero() ? precision : new EnginePrecision(
                    precision.policy(), precision.fp16(), precision.bf16(), CsvMonitorConfig.disabled()), options,
                    main.net());
        } catch (RuntimeException e) {
            engine.close(); // stores, nvme files, the schedule on the user's network
            group.close();
            throw e;
        }
        return new Parts(main, options, precision, batch, threads, group, engine, monitor,
                new TrainerProgress(main, engine, options, precision, tags,
                        group.processes() ? group.comms().get(0) : null), guard);
    }

    /**
     * ND4J threads per rank when none is set: the cores divided by the ranks that share them, this JVM's rank threads
     * or the rank processes of this host ({@code LOCAL_WORLD_SIZE}); a rank process takes {@code OMP_NUM_THREADS}
     * instead where the launcher set it, as torchrun does. A rank process thus gets what a rank thread of the same host
     * would (ND4J's thread count changes float results).
     *
     * @param d     this process's place in a multi-process job, or null for rank threads
     * @param world the world size
     */
    static int defaultThreads(Distributed d, int world) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (d == null) {
            return Math.max(1, cores / world);
        }
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp != null && omp.trim().matches("[1-9][0-9]{0,3}")) {
            return Integer.parseInt(omp.trim());
        }
        return Math.max(1, cores / d.localWorldSize());
    }
}
