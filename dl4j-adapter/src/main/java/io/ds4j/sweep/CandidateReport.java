package io.ds4j.sweep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What became of one candidate: the Arbiter {@code OptimizationResult}'s model-specific results when the candidate
 * was trained by {@link ZeroTrainerTaskCreator}.
 *
 * @param index          Arbiter's candidate index (0, 1, ... in generation order)
 * @param varied         each varied key and the candidate's value
 * @param completed      whether the candidate trained and scored; otherwise it failed with {@code error}
 * @param score          the score function's value; NaN when failed
 * @param error          why it failed (for an invalid configuration: {@code <json.path>: <message>}); empty when
 *                       completed
 * @param worldSize      ranks it trained with
 * @param trainBatchSize the resolved {@code train_batch_size}; 0 when unknown (failed before, or {@code "auto"})
 * @param seconds        wall time of the candidate: building, training, scoring, saving
 * @param configJson     the candidate's DeepSpeed configuration as given to the engine
 */
public record CandidateReport(int index, Map<String, Object> varied, boolean completed, double score, String error,
                              int worldSize, long trainBatchSize, double seconds, String configJson)
        implements java.io.Serializable {
    /** Copies the varied values, keeping their order. */
    public CandidateReport {
        varied = Collections.unmodifiableMap(new LinkedHashMap<>(varied));
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(configJson, "configJson");
    }
}
