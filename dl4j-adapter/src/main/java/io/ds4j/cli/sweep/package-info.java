/**
 * The pieces behind {@code ds4j sweep}: the sweep file ({@link io.ds4j.cli.sweep.SweepFileReader} documents the
 * format; {@link io.ds4j.cli.sweep.SweepFile}, {@link io.ds4j.cli.sweep.VariedKey}), the run with Arbiter's runner
 * ({@link io.ds4j.cli.sweep.SweepRun}) on the shipped OptDigits data ({@link io.ds4j.cli.sweep.OptDigitsProvider}),
 * a progress line per candidate, and the report: the ranked table and {@code results.csv}
 * ({@link io.ds4j.cli.sweep.SweepReport}), {@code results.png} with the score against each varied key (drawn with
 * XChart like the benches' charts, written by the benches' {@code ReportFiles}).
 *
 * <h2>Vocabulary</h2>
 * As in {@link io.ds4j.sweep}; plus <b>rank</b> in the table: a completed candidate's place by score (1 is the best);
 * failed candidates have none and come last. Not to be confused with the ranks (threads) a candidate trains with,
 * shown as {@code world_size}.
 */
package io.ds4j.cli.sweep;
