package io.ds4j.dl4j.checkpoint;

import io.ds4j.zero.checkpoint.CheckpointDirectory;
import io.ds4j.zero.checkpoint.CheckpointException;
import io.ds4j.zero.checkpoint.ShardFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A checkpoint folded into one plain DL4J network, as DeepSpeed's {@code zero_to_fp32.py} folds ZeRO partitions into
 * one fp32 state dict: the network is rebuilt from the DL4J configuration the model-states file records, its
 * parameters are the fp32 master assembled from every rank's pieces (whatever world size and stage saved them), its
 * iteration and epoch counts are the saved ones, and on request its DL4J updater state is the saved one (only when
 * the checkpoint trained with the network's own DL4J updaters: a DeepSpeed optimizer section's state belongs to
 * ds4j's fused kernels, not to a DL4J updater).
 */
public final class Consolidation {

    /**
     * The result.
     *
     * @param net    the network, initialised, holding the checkpoint's fp32 weights
     * @param folder the tag folder it came from
     * @param meta   the model-states header
     */
    public record Result(Model net, Path folder, Map<String, String> meta) {
        /** @return e.g. {@code MultiLayerNetwork, 1,283 parameters, saved at stage 2 by 2 ranks, iteration 40} */
        public String describe() {
            return meta.get(ModelIdentity.TYPE) + ", " + String.format("%,d", Long.parseLong(meta.get(
                    ModelIdentity.PARAMS))) + " parameters, saved at ZeRO stage " + meta.get("stage") + " by "
                    + meta.get("world_size") + " rank(s), iteration " + meta.get("iteration");
        }
    }

    private Consolidation() {
    }

    /**
     * @param dir         the checkpoint directory
     * @param tag         the tag, or empty for {@code latest}
     * @param withUpdater also set the network's DL4J updater state from the checkpoint
     * @return the consolidated network
     * @throws CheckpointException naming the file when the checkpoint is damaged or the updater state cannot be given
     */
    public static Result consolidate(Path dir, Optional<String> tag, boolean withUpdater) {
        Path folder = new CheckpointDirectory(dir).folder(tag);
        Path modelFile = folder.resolve(Checkpoints.MODEL_STATES);
        ShardFile model = ShardFile.read(modelFile);
        if (!"model_states".equals(model.meta().get("kind")) || !model.meta().containsKey(ModelIdentity.JSON)) {
            throw new CheckpointException(modelFile, "is not a model-states file with a network configuration; the"
                    + " tag folder's files were mixed up");
        }
        if (withUpdater && !model.meta().containsKey("vector." + "updater_state")) {
            throw new CheckpointException(modelFile, "holds optimizer state of kind '" + model.get("optimizer_kind")
                    + "', which is not a DL4J updater's; consolidate without the updater state (the weights alone)");
        }
        Model net = build(modelFile, model.meta());
        Map<String, String> mine = new HashMap<>();
        ModelIdentity.put(net, mine, false);
        if (!mine.get(ModelIdentity.FINGERPRINT).equals(model.get(ModelIdentity.FINGERPRINT))) {
            throw new CheckpointException(modelFile, "its network configuration does not rebuild the saved layout"
                    + " (fingerprint " + mine.get(ModelIdentity.FINGERPRINT) + " vs " + model.get(
                    ModelIdentity.FINGERPRINT) + "); the file is damaged");
        }
        Map<String, float[]> full = CheckpointReader.vectors(folder, model);
        net.setParams(Nd4j.createFromArray(full.get("master")).reshape(1, full.get("master").length));
        int iteration = Integer.parseInt(model.get("iteration"));
        int epoch = Integer.parseInt(model.get("epoch"));
        if (net instanceof MultiLayerNetwork m) {
            m.setIterationCount(iteration);
            m.setEpochCount(epoch);
        } else {
            ComputationGraph g = (ComputationGraph) net;
            g.getConfiguration().setIterationCount(iteration);
            g.getConfiguration().setEpochCount(epoch);
        }
        if (withUpdater) {
            INDArray view = net instanceof MultiLayerNetwork m ? m.getUpdater(true).getStateViewArray()
                    : ((ComputationGraph) net).getUpdater(true).getStateViewArray();
            float[] state = full.get("updater_state");
            if (state.length > 0) {
                view.assign(Nd4j.createFromArray(state).reshape(view.shape()));
            }
        }
        return new Result(net, folder, model.meta());
    }

    /**
     * Writes a consolidated network as a DL4J ModelSerializer zip, which plain {@code ModelSerializer.restore...}
     * loads.
     *
     * @param r           the result
     * @param zip         the file
     * @param withUpdater whether the zip carries the updater state
     * @throws IOException when the file cannot be written
     */
    public static void write(Result r, Path zip, boolean withUpdater) throws IOException {
        ModelSerializer.writeModel(r.net(), zip.toFile(), withUpdater);
    }

    private static Model build(Path file, Map<String, String> meta) {
        String json = ModelIdentity.json(meta);
        try {
            if ("MultiLayerNetwork".equals(meta.get(ModelIdentity.TYPE))) {
                MultiLayerNetwork m = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
                m.init();
                return m;
            }
            ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
            g.init();
            return g;
        } catch (RuntimeException e) {
            throw new CheckpointException(file, "its DL4J network configuration cannot be rebuilt (" + e.getMessage()
                    + "); consolidate with the DL4J version that saved it", e);
        }
    }
}
