package io.ds4j.cli.sweep;

import io.ds4j.sweep.CandidateReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a sweep found.
 *
 * @param keys      the varied keys, in sweep-file order
 * @param reports   every candidate that ran, in the order they finished
 * @param score     the score's name ({@code test_loss}...)
 * @param minimize  whether lower scores are better
 * @param bestIndex the candidate whose model and config were saved; -1 when none completed
 * @param out       the output folder
 */
public record SweepResults(List<String> keys, List<CandidateReport> reports, String score, boolean minimize,
                           int bestIndex, Path out) {
    /** Copies the lists. */
    public SweepResults {
        keys = List.copyOf(keys);
        reports = List.copyOf(reports);
    }

    /** @return completed candidates best first (ties by index), then failed ones by index */
    public List<CandidateReport> ranked() {
        Comparator<CandidateReport> byScore = Comparator.comparingDouble(CandidateReport::score);
        if (!minimize) {
            byScore = byScore.reversed();
        }
        List<CandidateReport> completed = new ArrayList<>(reports.stream().filter(CandidateReport::completed)
                .sorted(byScore.thenComparingInt(CandidateReport::index)).toList());
        completed.addAll(reports.stream().filter(r -> !r.completed())
                .sorted(Comparator.comparingInt(CandidateReport::index)).toList());
        return completed;
    }

    /** @return the saved best candidate's report */
    public Optional<CandidateReport> best() {
        return reports.stream().filter(r -> r.index() == bestIndex).findFirst();
    }

    /** @return how many candidates failed */
    public long failed() {
        return reports.stream().filter(r -> !r.completed()).count();
    }
}
