package io.ds4j.dl4j.precision;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Installs a {@link ScaledLoss} in every layer of a network that has a loss function and puts the original objects
 * back on {@link #close()}, so that the network saved after training is exactly the user's (same configuration JSON,
 * same loss function instances).
 *
 * <p>"Every layer that has a loss function" means every layer configuration (output layers, loss layers, RNN/CNN
 * loss layers, center-loss layers, and the layers inside DL4J's wrappers and {@code FrozenLayer}) with DL4J's public
 * {@code getLossFn()} / {@code setLossFn(ILossFunction)} pair: DL4J's runtime layers read the loss function from their
 * configuration on every call, so swapping it there takes effect immediately. Both the network configuration's layers
 * and the initialized network's layers are visited (they are normally the same objects).
 *
 * <p>Call order: {@code install} before training (the network may or may not be initialized); set the scale on the
 * holder before each step; {@code close} when training ends or fails (idempotent). Not thread-safe: install and close
 * from one thread while no {@code fit} runs.
 */
public final class ScaledLossInstaller implements AutoCloseable {
    private final List<Swap> swaps;
    private final LossScaleHolder holder;
    private boolean closed;

    private record Swap(Layer layer, Accessor accessor, ILossFunction original, ScaledLoss installed) {
    }

    private record Accessor(Method getter, Method setter) {
    }

    private ScaledLossInstaller(List<Layer> layers, LossScaleHolder holder, String networkKind) {
        this.holder = holder;
        List<Swap> done = new ArrayList<>();
        for (Layer layer : layers) {
            Accessor a = accessor(layer);
            if (a != null) {
                ILossFunction original = (ILossFunction) invoke(a.getter(), layer);
                if (original != null) {
                    ScaledLoss scaled = new ScaledLoss(original, holder);
                    invoke(a.setter(), layer, scaled);
                    done.add(new Swap(layer, a, original, scaled));
                }
            }
        }
        if (done.isEmpty()) {
            throw new IllegalArgumentException("the " + networkKind + " has no layer with a loss function "
                    + "(getLossFn/setLossFn); loss scaling needs an output or loss layer such as OutputLayer or "
                    + "LossLayer");
        }
        this.swaps = done;
    }

    /** Installs loss scaling in every loss-bearing layer of {@code net}, reading the scale from {@code holder}. */
    public static ScaledLossInstaller install(MultiLayerNetwork net, LossScaleHolder holder) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(holder, "holder");
        Set<Layer> layers = identitySet();
        for (NeuralNetConfiguration c : net.getLayerWiseConfigurations().getConfs()) {
            collect(c.getLayer(), layers);
        }
        runtimeLayers(net.getLayers(), layers);
        return new ScaledLossInstaller(new ArrayList<>(layers), holder, "MultiLayerNetwork");
    }

    /** Installs loss scaling in every loss-bearing layer of {@code graph}, reading the scale from {@code holder}. */
    public static ScaledLossInstaller install(ComputationGraph graph, LossScaleHolder holder) {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(holder, "holder");
        Set<Layer> layers = identitySet();
        for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
                collect(lv.getLayerConf().getLayer(), layers);
            }
        }
        runtimeLayers(graph.getLayers(), layers);
        return new ScaledLossInstaller(new ArrayList<>(layers), holder, "ComputationGraph");
    }

    /**
     * Installs loss scaling in the configurations of the given runtime layers (for example a ZeRO stage-3 rank's own
     * layers, instantiated from a clone of the user's configuration), reading the scale from {@code holder}.
     */
    public static ScaledLossInstaller install(org.deeplearning4j.nn.api.Layer[] runtime, LossScaleHolder holder) {
        Objects.requireNonNull(runtime, "runtime layers");
        Objects.requireNonNull(holder, "holder");
        Set<Layer> layers = identitySet();
        runtimeLayers(runtime, layers);
        return new ScaledLossInstaller(new ArrayList<>(layers), holder, "network");
    }

    /** The holder the installed loss functions read. */
    public LossScaleHolder holder() {
        return holder;
    }

    /** The number of layers whose loss function was replaced. */
    public int installedCount() {
        return swaps.size();
    }

    /** True until {@link #close()}. */
    public boolean isInstalled() {
        return !closed;
    }

    /**
     * Puts every original loss function back. A layer whose loss function was changed by someone else after
     * {@code install} keeps that change. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Swap s : swaps) {
            if (invoke(s.accessor().getter(), s.layer()) == s.installed()) {
                invoke(s.accessor().setter(), s.layer(), s.original());
            }
        }
    }

    private static void runtimeLayers(org.deeplearning4j.nn.api.Layer[] runtime, Set<Layer> into) {
        if (runtime == null) {
            return;
        }
        for (org.deeplearning4j.nn.api.Layer l : runtime) {
            if (l.conf() != null) {
                collect(l.conf().getLayer(), into);
            }
        }
    }

    private static void collect(Layer layer, Set<Layer> into) {
        if (layer == null || !into.add(layer)) {
            return;
        }
        if (layer instanceof BaseWrapperLayer w) {
            collect(w.getUnderlying(), into);
        } else if (layer instanceof FrozenLayer f) {
            collect(f.getLayer(), into);
        }
    }

    private static Accessor accessor(Layer layer) {
        try {
            Method get = layer.getClass().getMethod("getLossFn");
            Method set = layer.getClass().getMethod("setLossFn", ILossFunction.class);
            return ILossFunction.class.isAssignableFrom(get.getReturnType()) ? new Accessor(get, set) : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static Object invoke(Method m, Object target, Object... args) {
        try {
            return m.invoke(target, args);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot call " + m.getName() + " on " + target.getClass().getName(), e);
        }
    }

    private static Set<Layer> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
