/**
 * Layer-by-layer forward-backward passes of DL4J networks ({@link io.ds4j.dl4j.pass.MlnPass} for a
 * MultiLayerNetwork, {@link io.ds4j.dl4j.pass.GraphPass} for a ComputationGraph) with
 * {@link io.ds4j.dl4j.pass.LayerHooks} around every module. DL4J's own {@code computeGradientAndScore()} writes
 * every layer's gradient into one flat gradient view of the whole model and returns only at the end; these passes run
 * the same layer calls in the same order, so that a ZeRO rank can act between layers: stage 3 gathers each layer's
 * parameters just before it runs, and stages 2 and 3 take each layer's gradient from a largest-layer scratch as soon
 * as it is final and reduce it, so no rank holds a full-size gradient.
 */
package io.ds4j.dl4j.pass;
