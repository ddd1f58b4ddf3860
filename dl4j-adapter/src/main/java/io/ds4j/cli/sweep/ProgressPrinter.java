package io.ds4j.cli.sweep;

import io.ds4j.sweep.CandidateReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.BaseStatusListener;

/**
 * An Arbiter status listener that writes one line per finished candidate (its values, its score or its error, the
 * best score so far and its time) and keeps the candidates' {@link CandidateReport}s.
 */
final class ProgressPrinter extends BaseStatusListener {
    private final PrintStream err;
    private final String scoreName;
    private final boolean minimize;
    private final int total;
    private final List<CandidateReport> reports = new ArrayList<>();
    private double best = Double.NaN;

    /**
     * @param err       where the lines go
     * @param scoreName the score's name
     * @param minimize  whether lower is better
     * @param total     candidates expected; 0 when unknown
     */
    ProgressPrinter(PrintStream err, String scoreName, boolean minimize, int total) {
        this.err = err;
        this.scoreName = scoreName;
        this.minimize = minimize;
        this.total = total;
    }

    @Override
    public synchronized void onCandidateStatusChange(CandidateInfo info, IOptimizationRunner runner,
                                                     OptimizationResult result) {
        if (result == null || !(result.getModelSpecificResults() instanceof CandidateReport r)) {
            return;
        }
        reports.add(r);
        String what;
        if (r.completed()) {
            if (Double.isNaN(best) || (minimize ? r.score() < best : r.score() > best)) {
                best = r.score();
            }
            what = String.format(Locale.ROOT, "%s %.4f (best %.4f)", scoreName, r.score(), best);
        } else {
            what = "FAILED: " + r.error();
        }
        err.println(String.format(Locale.ROOT, "candidate %d%s: %s -> %s, %.1f s", reports.size(),
                total > 0 ? "/" + total : "", values(r.varied()), what, r.seconds()));
        err.flush();
    }

    /** @return the reports so far, in finishing order */
    synchronized List<CandidateReport> reports() {
        return List.copyOf(reports);
    }

    static String values(Map<String, Object> varied) {
        StringBuilder sb = new StringBuilder();
        varied.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=')
                .append(SweepTable.format(v)));
        return sb.toString();
    }
}
