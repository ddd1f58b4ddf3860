package io.ds4j.dl4j.checkpoint;

import io.ds4j.zero.checkpoint.CheckpointDirectory;
import io.ds4j.zero.checkpoint.CheckpointException;
import io.ds4j.zero.checkpoint.ShardFile;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;

/**
 * Reads a checkpoint tag and checks it completely before anything is loaded: every file's checksum, that every rank
 * file belongs to the same save, that the network is the one saved, that the optimizer is of the same kind, and the
 * config hash (as {@code checkpoint.tag_validation} says). The rank files' pieces are assembled into the whole
 * canonical vectors, whatever world size and stage saved them, so the loading engine re-splits them by its own
 * layout (resharding N to M ranks, and between stages).
 */
public final class CheckpointReader {

    private static final System.Logger LOG = System.getLogger(CheckpointReader.class.getName());

    private CheckpointReader() {
    }

    /**
     * What a load checks against.
     *
     * @param net        the network to load into
     * @param target     its engine
     * @param configHash the loading run's {@link ConfigHash}
     * @param validation what a config-hash mismatch does
     */
    public record Target(Model net, EngineState target, String configHash, TagValidation validation) { }

    /**
     * @param dir the checkpoint directory
     * @param tag the tag, or empty for the one {@code latest} names
     * @param t   what the checkpoint must fit
     * @return the checked checkpoint, ready to apply
     * @throws CheckpointException naming the file and what is wrong
     */
    public static LoadedCheckpoint read(Path dir, Optional<String> tag, Target t) {
        Path folder = new CheckpointDirectory(dir).folder(tag);
        Path modelFile = folder.resolve(Checkpoints.MODEL_STATES);
        ShardFile model = ShardFile.read(modelFile);
        checkModel(modelFile, model.meta(), t);
        for (Map.Entry<String, Long> v : t.target().vectorLengths().entrySet()) {
            String saved = model.meta().get("vector." + v.getKey());
            if (saved == null || Long.parseLong(saved) != v.getValue()) {
                throw new CheckpointException(modelFile, "vector '" + v.getKey() + "' has " + saved + " elements in"
                        + " the checkpoint but the engine needs " + v.getValue() + "; load it into the same network"
                        + " with the same updaters");
            }
        }
        Map<String, float[]> full = vectors(folder, model);
        LossScaleCodec.get(model.meta(), t.target().lossScale()); // a corrupt scale fails here, before any change
        return new LoadedCheckpoint(folder, model.meta(), full);
    }

    /**
     * Assembles the whole canonical vectors the model-states file lists from every rank file of the tag folder.
     *
     * @param folder the tag folder
     * @param model  its model-states file, read and checked
     * @return vector name to its whole values
     * @throws CheckpointException when a rank file is missing, damaged, of another save, or the pieces leave a gap
     */
    static Map<String, float[]> vectors(Path folder, ShardFile model) {
        int world = Integer.parseInt(model.get("world_size"));
        Map<String, float[]> full = new HashMap<>();
        Map<String, BitSet> covered = new HashMap<>();
        for (Map.Entry<String, String> e : model.meta().entrySet()) {
            if (e.getKey().startsWith("vector.")) {
                String name = e.getKey().substring("vector.".length());
                full.put(name, new float[Math.toIntExact(Long.parseLong(e.getValue()))]);
                covered.put(name, new BitSet());
            }
        }
        for (int r = 0; r < world; r++) {
            Path f = folder.resolve(Checkpoints.rankFile(r));
            ShardFile rank = ShardFile.read(f);
            checkSameSave(f, rank.meta(), model.meta(), r);
            place(f, rank, full, covered);
        }
        for (Map.Entry<String, BitSet> c : covered.entrySet()) {
            int n = full.get(c.getKey()).length;
            if (c.getValue().cardinality() != n) {
                throw new CheckpointException(folder, "the rank files cover " + c.getValue().cardinality() + " of "
                        + n + " elements of '" + c.getKey() + "'; the checkpoint is incomplete, load another tag");
            }
        }
        return full;
    }

    private static void checkModel(Path file, Map<String, String> m, Target t) {
        if (!"model_states".equals(m.get("kind"))) {
            throw new CheckpointException(file, "is a '" + m.get("kind") + "' file, not model states; the tag"
                    + " folder's files were mixed up");
        }
        Map<String, String> mine = new HashMap<>();
        ModelIdentity.put(t.net(), mine, false);
        if (!mine.get(ModelIdentity.FINGERPRINT).equals(m.get(ModelIdentity.FINGERPRINT))) {
            throw new CheckpointException(file, "was saved from another model (" + m.get(ModelIdentity.PARAMS)
                    + " parameters, layout fingerprint " + m.get(ModelIdentity.FINGERPRINT) + "); this network has "
                    + ModelIdentity.describe(t.net()) + " (fingerprint " + mine.get(ModelIdentity.FINGERPRINT)
                    + "); load it into the network it was saved from");
        }
        String kind = t.target().optimizerKind();
        if (!kind.equals(m.get("optimizer_kind"))) {
            throw new CheckpointException(file, "holds optimizer state of kind '" + m.get("optimizer_kind")
                    + "' but this run's optimizer is '" + kind + "'; load it with the optimizer section (or the DL4J"
                    + " updaters) it was saved with");
        }
        String hash = m.get("config_hash");
        if (!t.configHash().equals(hash)) {
            String what = "was saved under another configuration (config hash " + hash + ", this run's is "
                    + t.configHash() + ": optimizer, scheduler, gradient_clipping or fp16/bf16 differ)";
            if (t.validation() == TagValidation.FAIL) {
                throw new CheckpointException(file, what + "; checkpoint.tag_validation is Fail: use the same"
                        + " configuration, or set tag_validation to Warn");
            }
            if (t.validation() == TagValidation.WARN) {
                LOG.log(System.Logger.Level.WARNING, file + ": " + what + "; loading anyway"
                        + " (checkpoint.tag_validation is Warn)");
            }
        }
    }

    private static void checkSameSave(Path f, Map<String, String> rank, Map<String, String> model, int r) {
        if (!"optim_states".equals(rank.get("kind")) || !String.valueOf(r).equals(rank.get("rank"))) {
            throw new CheckpointException(f, "is not rank " + r + "'s optimizer-partition file (kind "
                    + rank.get("kind") + ", rank " + rank.get("rank") + "); the tag folder's files were mixed up");
        }
        if (!model.get("save_id").equals(rank.get("save_id"))) {
            throw new CheckpointException(f, "belongs to another save (tag " + rank.get("tag") + ") than "
                    + Checkpoints.MODEL_STATES + " (tag " + model.get("tag") + "); the folder mixes files of two"
                    + " checkpoints, load another tag");
        }
    }

    private static void place(Path f, ShardFile rank, Map<String, float[]> full, Map<String, BitSet> covered) {
        for (Map.Entry<String, float[]> v : full.entrySet()) {
            String list = rank.meta().get("pieces." + v.getKey());
            if (list == null || list.isEmpty()) {
                continue;
            }
            String[] pieces = list.split(",");
            for (int i = 0; i < pieces.length; i++) {
                long offset = Long.parseLong(pieces[i].split(":")[0]);
                float[] values = rank.section(v.getKey() + ".p" + i);
                if (offset + values.length > v.getValue().length) {
                    throw new CheckpointException(f, "piece " + i + " of '" + v.getKey() + "' ends at "
                            + (offset + values.length) + ", past the vector's " + v.getValue().length
                            + " elements; the file does not belong to this model");
                }
                System.arraycopy(values, 0, v.getValue(), (int) offset, values.length);
                covered.get(v.getKey()).set((int) offset, (int) offset + values.length);
            }
        }
    }
}
