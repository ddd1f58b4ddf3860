/**
 * Hyperparameter sweeps with Arbiter (1.0.0-beta7, its ND4J/DL4J dependencies excluded so that it runs on DL4J
 * 1.0.0-M2.1) over DeepSpeed configurations and DL4J networks, each candidate trained by {@code ZeroTrainer}.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>varied key</b>: a dotted JSON path into the DeepSpeed configuration ({@code optimizer.params.lr},
 *       {@code zero_optimization.stage}, {@code fp16.enabled}) with the Arbiter space its value is drawn from; also
 *       {@code world_size}, which is not in the file but is part of a candidate.</li>
 *   <li><b>candidate</b>: one point of the search space ({@link io.ds4j.sweep.SweepCandidate}): a DeepSpeed
 *       configuration, a network, a world size. Arbiter numbers candidates 0, 1, ... as it generates them.</li>
 *   <li><b>score</b>: what Arbiter's score function says of the trained network on the test data (test-set loss,
 *       accuracy, F1...); minimized or maximized as the function says.</li>
 *   <li><b>failed candidate</b>: one that could not be trained or scored: an invalid configuration (the
 *       {@code DeepSpeedConfigException}'s {@code <json.path>: <message>}), a refusal by the engine, a non-finite
 *       score. It is recorded with its error and the sweep goes on.</li>
 * </ul>
 *
 * <h2>How the pieces fit Arbiter</h2>
 * {@link io.ds4j.sweep.DeepSpeedConfigSpace} and {@link io.ds4j.sweep.SweepSpace} are {@code ParameterSpace}s, so
 * Arbiter's own {@code GridSearchCandidateGenerator} and {@code RandomSearchGenerator} generate their candidates; a
 * {@code MultiLayerSpace} or {@code ComputationGraphSpace} searches the network at the same time.
 * {@link io.ds4j.sweep.ZeroTrainerTaskCreator} is the {@code TaskCreator} Arbiter's
 * {@code LocalOptimizationRunner} calls; {@link io.ds4j.sweep.BestModelSaver} its {@code ResultSaver};
 * {@link io.ds4j.sweep.AllCandidatesDone} the termination condition that ends a finished grid (Arbiter's runner
 * loop only ends on a termination condition).
 *
 * <h2>Arbiter against M2.1</h2>
 * Measured here: the parameter spaces, both generators, {@code LocalOptimizationRunner}, the termination conditions,
 * the test-set score functions, {@code MultiLayerSpace} and {@code ComputationGraphSpace} work with DL4J 1.0.0-M2.1
 * ({@code NetworkSpaceSweepTest}). What a user meets instead: a single-valued discrete or integer space shifts the
 * grid's later leaves in Arbiter 1.0.0-beta7 itself, so ds4j turns it into a {@code FixedValue}
 * ({@link io.ds4j.sweep.SingleValues}); a {@code BooleanSpace} on a grid is discretized like a continuous space
 * (3 points give true, true, false), so list booleans with {@code DiscreteParameterSpace<>(false, true)}; and
 * {@code arbiter-core} would pull commons-lang3 3.6 over the 3.11 ND4J M2.1 is built with, so the build excludes
 * it too.
 */
package io.ds4j.sweep;
