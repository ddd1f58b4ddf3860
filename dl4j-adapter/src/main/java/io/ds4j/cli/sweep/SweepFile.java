package io.ds4j.cli.sweep;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed {@code ds4j sweep} file (the format: {@link SweepFileReader}; every value checked there).
 *
 * @param baseConfigJson the base DeepSpeed configuration's text
 * @param baseConfig     where it came from (as written in the file, resolved against the file's folder)
 * @param model          {@code digits}, {@code wide}, or a ModelSerializer zip
 * @param worldSize      ranks when {@code world_size} is not varied
 * @param steps          optimizer steps per candidate
 * @param vary           the varied keys, in file order
 * @param search         how candidates are generated
 * @param budget         when the sweep stops early
 * @param score          {@code test_loss}, {@code test_accuracy} or {@code test_f1}
 * @param out            the output folder
 */
public record SweepFile(String baseConfigJson, Path baseConfig, String model, int worldSize, int steps,
                        Map<String, VariedKey> vary, Search search, Budget budget, String score, Path out) {
    /** The score functions a sweep file may name. */
    public static final List<String> SCORES = List.of("test_loss", "test_accuracy", "test_f1");

    /** Copies the varied keys, keeping their order. */
    public SweepFile {
        vary = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(vary));
    }

    /**
     * How candidates are generated.
     *
     * @param type   {@code grid} (Arbiter's {@code GridSearchCandidateGenerator}, every combination) or
     *               {@code random} ({@code RandomSearchGenerator})
     * @param points grid points per continuous key (Arbiter's discretization count; integer ranges get at most this
     *               many, listed values all of theirs)
     * @param seed   the random generator's seed
     */
    public record Search(String type, int points, long seed) {
    }

    /**
     * When the sweep stops before the generator runs out: Arbiter's {@code MaxCandidatesCondition} and
     * {@code MaxTimeCondition} (a running candidate finishes). 0 means no limit.
     *
     * @param maxCandidates candidates completed or failed
     * @param maxMinutes    minutes since the sweep started
     */
    public record Budget(int maxCandidates, double maxMinutes) {
    }

    /**
     * @param dir another output folder
     * @return this sweep writing there
     */
    public SweepFile withOut(Path dir) {
        return new SweepFile(baseConfigJson, baseConfig, model, worldSize, steps, vary, search, budget, score, dir);
    }

    /** @return whether the score is better when lower */
    public boolean minimize() {
        return "test_loss".equals(score);
    }
}
