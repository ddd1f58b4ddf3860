package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.dl4j.checkpoint.RankShard;
import io.ds4j.precision.LossScale;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint seam ({@link EngineState}) of a {@link ZeroTrainer} at stages 0-2: its ranks' workers, each holding a
 * range of the flat vector ({@link RankWorker#exportShard}, {@link RankWorker#importShard}).
 */
final class TrainerState implements EngineState {

    static final String MASTER = EngineState.MASTER;
    static final String UPDATER = EngineState.UPDATER_STATE;

    private final List<RankWorker> workers;
    private final EngineOptions options;
    private final FlatLayout layout;
    private final int worldSize;

    /**
     * @param workers   this JVM's ranks' workers (all ranks, or this process's one)
     * @param worldSize the ranks of the whole group
     */
    TrainerState(List<RankWorker> workers, EngineOptions options, FlatLayout layout, int worldSize) {
        this.workers = List.copyOf(workers);
        this.options = options;
        this.layout = layout;
        this.worldSize = worldSize;
    }

    /** @return the name of the fused kernel's state word {@code w} */
    static String state(int w) {
        return EngineState.stateWord(w);
    }

    /**
     * @param options the engine's options
     * @param words the fused kernel's state words (ignored without an {@code optimizer} section)
     * @return the optimizer kind of {@link EngineState#optimizerKind()}
     */
    static String optimizerKind(EngineOptions options, int words) {
        return options.optimizer().map(o -> "deepspeed:" + o.type().toLowerCase(java.util.Locale.ROOT) + ":" + words)
                .orElse("dl4j-updaters");
    }

    /**
     * @param layout the network's layout
     * @param options the engine's options
     * @param words the fused kernel's state words
     * @return the canonical vectors and their lengths
     */
    static Map<String, Long> vectorLengths(FlatLayout layout, EngineOptions options, int words) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(MASTER, layout.length());
        if (options.optimizer().isEmpty()) {
            m.put(UPDATER, ShardUpdater.stateLength(layout, 0, layout.length()));
        } else {
            for (int w = 0; w < words; w++) {
                m.put(state(w), layout.length());
            }
        }
        return m;
    }

    @Override
    public int stage() {
        return options.zero().stage();
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public String optimizerKind() {
        return optimizerKind(options, workers.get(0).stateWords());
    }

    @Override
    public Map<String, Long> vectorLengths() {
        return vectorLengths(layout, options, workers.get(0).stateWords());
    }

    @Override
    public List<RankShard> exportShards() {
        List<RankShard> out = new ArrayList<>();
        for (RankWorker w : workers) {
            out.add(w.exportShard());
        }
        return out;
    }

    @Override
    public void importShards(Map<String, float[]> full) {
        for (RankWorker w : workers) {
            w.importShard(full);
        }
    }

    @Override
    public LossScale lossScale() {
        return workers.get(0).precision().scale();
    }

    @Override
    public void restoreLossScale(LossScale scale) {
        for (RankWorker w : workers) {
            w.precision().restoreScale(scale);
        }
    }
}
