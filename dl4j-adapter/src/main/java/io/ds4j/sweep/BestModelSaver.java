package io.ds4j.sweep;

import io.ds4j.config.DeepSpeedConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultReference;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultSaver;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * An Arbiter {@link ResultSaver} that keeps only the best candidate so far on disk: {@value #MODEL} (a DL4J
 * ModelSerializer zip, without updater state: ds4j's optimizer state lives in the engine's shards) and
 * {@value #CONFIG} (its DeepSpeed configuration resolved for its world size, every default filled). A candidate
 * that does not beat the best is not written, and the runner gets no reference for it. Both files are written
 * next to their final names and moved into place, so a sweep stopped midway leaves the previous best whole.
 */
public final class BestModelSaver implements ResultSaver {
    /** The best model's file name. */
    public static final String MODEL = "best-model.zip";
    /** The best configuration's file name. */
    public static final String CONFIG = "best-config.json";

    private final Path dir;
    private final boolean minimize;
    private int bestIndex = -1;
    private double bestScore;

    /**
     * @param dir      the folder (created if missing)
     * @param minimize whether lower scores are better: the score function's {@code minimize()}
     */
    public BestModelSaver(Path dir, boolean minimize) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.minimize = minimize;
    }

    /** @return the index of the candidate whose model is on disk, -1 before any */
    public synchronized int bestIndex() {
        return bestIndex;
    }

    @Override
    public synchronized ResultReference saveModel(OptimizationResult result, Object model) throws IOException {
        Double score = result.getScore();
        if (score == null || !(model instanceof Model net) || !better(score)) {
            return null;
        }
        Files.createDirectories(dir);
        Path zip = dir.resolve(MODEL);
        Path tmpZip = dir.resolve(MODEL + ".tmp");
        ModelSerializer.writeModel(net, tmpZip.toFile(), false);
        Path config = dir.resolve(CONFIG);
        Path tmpConfig = dir.resolve(CONFIG + ".tmp");
        Files.writeString(tmpConfig, resolvedConfig(result) + "\n", StandardCharsets.UTF_8);
        Files.move(tmpZip, zip, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpConfig, config, StandardCopyOption.REPLACE_EXISTING);
        bestIndex = result.getIndex();
        bestScore = score;
        return new Saved(this, result, zip, net instanceof ComputationGraph);
    }

    private boolean better(double score) {
        return bestIndex < 0 || (minimize ? score < bestScore : score > bestScore);
    }

    private static String resolvedConfig(OptimizationResult result) {
        SweepCandidate c = (SweepCandidate) result.getCandidate().getValue();
        return DeepSpeedConfig.parse(c.config().json()).toJson(c.worldSize());
    }

    @Override
    public List<Class<?>> getSupportedCandidateTypes() {
        return List.of(SweepCandidate.class);
    }

    @Override
    public List<Class<?>> getSupportedModelTypes() {
        return List.of(MultiLayerNetwork.class, ComputationGraph.class);
    }

    @Override
    public String toString() {
        return "BestModelSaver(" + dir + ")";
    }

    /** The reference to a saved best; its model can be read back while no better candidate replaced it. */
    private record Saved(BestModelSaver saver, OptimizationResult result, Path zip, boolean graph)
            implements ResultReference {
        @Override
        public OptimizationResult getResult() {
            return result;
        }

        @Override
        public Object getResultModel() throws IOException {
            int best = saver.bestIndex();
            if (best != result.getIndex()) {
                throw new IOException("candidate " + result.getIndex() + "'s model was replaced by the better"
                        + " candidate " + best + "'s in " + zip + "; only the best model is kept");
            }
            return graph ? ModelSerializer.restoreComputationGraph(zip.toFile(), false)
                    : ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
        }
    }
}
