package io.ds4j.dl4j.pass;

import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;

/**
 * What a rank does around each module (a layer, or a graph vertex) of a layer-by-layer pass: stage 3 gathers the
 * module's parameters before it runs and reduce-scatters its gradient after its backward; stage 2 keeps the
 * parameters resident and hands each module's final gradient to its gradient buckets.
 *
 * <h2>Call order</h2>
 * For every module in the pass's trace order: {@link #enter}, then (backward only) {@link #backprop} around the
 * module's backward, then {@link #leave}. After the whole pass: {@link #endStep()}.
 */
public interface LayerHooks {

    /**
     * Before module {@code id} runs forward or backward.
     *
     * @return the module's layer bound to its parameters, or null for a module without one
     */
    Layer enter(int id);

    /** Runs module {@code id}'s backward {@code body} with its gradient views bound; consumes its gradient after. */
    <T> T backprop(int id, Supplier<T> body);

    /** After module {@code id} ran. */
    void leave(int id);

    /** After the forward-backward pass. */
    void endStep();
}
