/**
 * ds4j's integration with DL4J: {@link io.ds4j.dl4j.DeepSpeed#initialize} for a world of one rank inside the user's
 * own {@code fit()}, and {@code ZeroTrainer} for several ranks.
 *
 * <h2>How the user's {@code net.fit(iterator)} runs ds4j's step (decision)</h2>
 * DL4J 1.0.0-M2.1's {@code StochasticGradientDescent.optimize} computes the gradient, hands it to the network's
 * updater ({@code BaseOptimizer.updateGradientAccordingToParams} calls {@code Updater.update} for a
 * MultiLayerNetwork and {@code ComputationGraphUpdater.update} for a ComputationGraph), then subtracts whatever the
 * updater left in the flat gradient view from the flat parameters and notifies listeners. Both networks expose a
 * setter for that updater ({@code MultiLayerNetwork.setUpdater(Updater)}, {@code
 * ComputationGraph.setUpdater(ComputationGraphUpdater)}). So ds4j installs a subclass of DL4J's own updater whose
 * {@code update} runs ds4j's step and leaves the update in the gradient view: everything else in {@code fit()}
 * (workspaces, listeners, iteration and epoch counts, score, early stopping, serialisation of the updater state) is
 * DL4J's own and unchanged. A wrapper around {@code fit()} was rejected because users call many {@code fit}
 * overloads, and ParallelWrapper's shared-gradients mode was rejected because it deadlocks on M2.1.
 *
 * <h2>DL4J semantics kept exactly</h2>
 * In DL4J's order: the summed gradient is divided by the minibatch size (except for parameters whose "gradient" is an
 * update, such as BatchNorm's running statistics); the layer's gradient normalization is applied; then per updater
 * block the "before" regularization (l1, l2) is added, the block's {@code IUpdater} runs, and the "after"
 * regularization (weight decay) is added. DeepSpeed's {@code gradient_clipping} acts on the averaged gradient before
 * DL4J's per-layer normalization (it belongs to the data-parallel engine; the normalization belongs to the layer's
 * optimizer configuration). Every DL4J updater is element-wise, so an updater instantiated on the part of a block that
 * falls in a shard gives the same numbers as the whole block: this is what lets ranks own disjoint shards.
 *
 * <h2>Vocabulary</h2>
 * <b>rank</b>, <b>world size</b>, <b>flat vector</b>, <b>shard</b> and <b>bucket</b> as defined in
 * {@link io.ds4j.zero.step}. A <b>slot</b> is one parameter of one layer in the flat vector; a <b>block</b> is DL4J's
 * updater block (consecutive slots with one updater configuration); a <b>segment</b> is a block cut to a shard.
 */
package io.ds4j.dl4j;
