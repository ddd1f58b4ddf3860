package io.ds4j.dl4j.checkpoint;

import io.ds4j.zero.checkpoint.CheckpointDirectory;
import io.ds4j.zero.checkpoint.ShardFile;
import io.ds4j.zero.comm.Collectives;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.deeplearning4j.nn.api.Model;

/**
 * Saves an engine's state as a checkpoint tag: one model-states file (the network's identity and configuration, the
 * training position, the loss scale, the canonical vectors' lengths) and one optimizer-partition file per rank (its
 * pieces of the fp32 master and of the optimizer state), written atomically by {@link CheckpointDirectory}. Loading
 * is {@link CheckpointReader}'s.
 */
public final class Checkpoints {

    /** The model-states file of a tag folder. */
    public static final String MODEL_STATES = "mp_rank_00_model_states.ds4j";

    private Checkpoints() {
    }

    /**
     * @param rank a rank
     * @return the name of its optimizer-partition file
     */
    public static String rankFile(int rank) {
        return "zero_pp_rank_" + rank + "_mp_rank_00_optim_states.ds4j";
    }

    /**
     * What a save needs.
     *
     * @param net        the network (its identity and configuration; its parameters are saved through the state)
     * @param state      the engine's sharded state (with ranks as processes: this process's ranks)
     * @param position   the training position
     * @param configHash {@link ConfigHash} of the run's configuration
     * @param group      with ranks as processes, this process's rank of the group (every process saves its own rank
     *                   file, rank 0 the model-states file, see {@link CheckpointDirectory#save(String, Map,
     *                   Collectives, String)}); null when this JVM holds every rank
     */
    public record Request(Model net, EngineState state, TrainingPosition position, String configHash,
                          Collectives group) {
        /** A save by a JVM that holds every rank. */
        public Request(Model net, EngineState state, TrainingPosition position, String configHash) {
            this(net, state, position, configHash, null);
        }
    }

    /**
     * Saves tag {@code tag} under {@code dir} and points {@code latest} at it.
     *
     * @param dir the checkpoint directory
     * @param tag the tag
     * @param r   what to save
     * @return the bytes written
     * @throws java.io.UncheckedIOException when the save fails; the previous checkpoint stays as it was
     */
    public static long save(Path dir, String tag, Request r) {
        CheckpointDirectory.checkTag(tag);
        Map<String, String> common = new HashMap<>();
        common.put("config_hash", r.configHash());
        String token = r.group() == null ? null : CheckpointDirectory.sharedToken(r.group());
        common.put("save_id", token == null ? UUID.randomUUID().toString() : token);
        common.put("tag", tag);
        common.put("stage", Integer.toString(r.state().stage()));
        common.put("world_size", Integer.toString(r.state().worldSize()));
        common.put("optimizer_kind", r.state().optimizerKind());
        ModelIdentity.put(r.net(), common, false);
        Map<String, ShardFile> files = new LinkedHashMap<>();
        if (r.group() == null || r.group().rank() == 0) {
            files.put(MODEL_STATES, modelStates(r, common));
        }
        for (RankShard shard : r.state().exportShards()) {
            files.put(rankFile(shard.rank()), rankFile(shard, common));
        }
        CheckpointDirectory d = new CheckpointDirectory(dir);
        return r.group() == null ? d.save(tag, files) : d.save(tag, files, r.group(), token);
    }

    private static ShardFile modelStates(Request r, Map<String, String> common) {
        Map<String, String> m = new HashMap<>(common);
        m.put("kind", "model_states");
        ModelIdentity.put(r.net(), m, true);
        TrainingPosition p = r.position();
        m.put("iteration", Integer.toString(p.iteration()));
        m.put("epoch", Integer.toString(p.epoch()));
        m.put("batch_in_epoch", Long.toString(p.batchInEpoch()));
        m.put("skipped_steps", Long.toString(p.skippedSteps()));
        m.put("rng_root", Long.toString(p.rngRoot()));
        m.put("rng_node", Long.toString(p.rngNode()));
        LossScaleCodec.put(r.state().lossScale(), m);
        r.state().vectorLengths().forEach((k, v) -> m.put("vector." + k, Long.toString(v)));
        m.put("shard_layout", "ZeRO stage " + r.state().stage() + ", " + r.state().worldSize() + " ranks; each rank"
                + " file lists its pieces of every vector");
        return new ShardFile(m, List.of());
    }

    private static ShardFile rankFile(RankShard shard, Map<String, String> common) {
        Map<String, String> m = new HashMap<>(common);
        m.put("kind", "optim_states");
        m.put("rank", Integer.toString(shard.rank()));
        List<ShardFile.Section> sections = new ArrayList<>();
        for (Map.Entry<String, List<StatePiece>> v : new java.util.TreeMap<>(shard.vectors()).entrySet()) {
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < v.getValue().size(); i++) {
                StatePiece p = v.getValue().get(i);
                pieces.add(p.offset() + ":" + p.values().length);
                sections.add(new ShardFile.Section(v.getKey() + ".p" + i, p.values()));
            }
            m.put("pieces." + v.getKey(), String.join(",", pieces));
        }
        return new ShardFile(m, sections);
    }
}
