package io.ds4j.dl4j.checkpoint;

import java.util.List;
import java.util.Map;

/**
 * What one rank holds of the training state: for each canonical vector ({@link EngineState#vectorLengths()}), the
 * pieces it owns. Pieces of different ranks may overlap (at ZeRO stage 0 every rank holds everything); they then
 * hold the same values.
 *
 * @param rank    the rank
 * @param vectors vector name to the rank's pieces of it
 */
public record RankShard(int rank, Map<String, List<StatePiece>> vectors) {
    /** Copies the map. */
    public RankShard {
        vectors = Map.copyOf(vectors);
    }
}
