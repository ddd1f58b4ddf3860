package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.CheckpointReader;
import io.ds4j.dl4j.checkpoint.Checkpoints;
import io.ds4j.dl4j.checkpoint.ConfigHash;
import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.dl4j.checkpoint.LoadedCheckpoint;
import io.ds4j.dl4j.checkpoint.TagValidation;
import io.ds4j.dl4j.checkpoint.TrainingPosition;
import io.ds4j.zero.checkpoint.CheckpointException;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.HostFloats;
import java.nio.file.Path;
import java.util.Optional;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Save and load for the engines of this package: the position counters, the config hash, and the order of a load
 * (read and check everything, then change the engine, then the user's network).
 */
final class TrainerCheckpoints {

    private TrainerCheckpoints() {
    }

    /**
     * @param options   the engine's options
     * @param precision the precision in force
     * @return the config hash a checkpoint records (see {@link ConfigHash})
     */
    static String configHash(EngineOptions options, EnginePrecision precision) {
        return ConfigHash.of(options.sections().optimizer(), options.sections().scheduler(), options.clipping(),
                precision.policy().parameters(), precision.fp16(), precision.bf16());
    }

    /** @return the position with the calling thread's ND4J random state */
    static TrainingPosition position(int iteration, int epoch, long batchInEpoch, long skipped) {
        Random rng = Nd4j.getRandom();
        return new TrainingPosition(iteration, epoch, batchInEpoch, skipped, rng.rootState(), rng.nodeState());
    }

    /**
     * @param group with ranks as processes, this process's rank (every process must call this), else null
     * @return the bytes this JVM wrote
     */
    static long save(Path dir, String tag, Replica main, EngineState state, TrainingPosition p, String hash,
            Collectives group) {
        return Checkpoints.save(dir, tag, new Checkpoints.Request(main.net(), state, p, hash, group));
    }

    /**
     * Reads and checks the checkpoint, then sets the engine's state, the user's network's parameters (the fp32
     * master), its iteration and epoch counts, and the calling thread's random state. With ranks as processes every
     * process reads the whole checkpoint (a shared file system) and sets its own ranks from it; the processes agree
     * that every one of them read it before any changes anything.
     *
     * @param group with ranks as processes, this process's rank (every process must call this), else null
     * @return the position loaded
     */
    static TrainingPosition load(Path dir, Optional<String> tag, Replica main, EngineState state, String hash,
            TagValidation validation, Collectives group) {
        LoadedCheckpoint c = null;
        RuntimeException failed = null;
        try {
            c = CheckpointReader.read(dir, tag, new CheckpointReader.Target(main.net(), state, hash, validation));
        } catch (RuntimeException e) {
            failed = e;
        }
        if (group != null && group.allReduceMax(failed == null ? 0 : 1) > 0 && failed == null) {
            throw new CheckpointException(dir, "another rank could not load this checkpoint (its own error names the"
                    + " file and the cause); nothing was loaded on any rank");
        }
        if (failed != null) {
            throw failed;
        }
        if (!PartitionedConstruction.applies(main.net())) { // built partitioned: filled when materialised
            HostFloats.write(c.master(), 0, main.params()); // the engine's import below has the last word (rounding)
        }
        c.applyTo(state);
        TrainingPosition p = c.position();
        main.setIterationCount(p.iteration());
        main.setEpochCount(p.epoch());
        Nd4j.getRandom().setStates(p.rngRoot(), p.rngNode());
        return p;
    }
}
