package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.FrozenVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Where every parameter of a DL4J network lives in its flat vector, and how DL4J groups consecutive parameters with an
 * identical updater configuration into updater blocks.
 *
 * <p>The order and grouping reproduce DL4J's own updater (layers in flattening order, a new block whenever the
 * updater configuration changes), so the optimizer state of a block laid out block after block is exactly DL4J's
 * updater state array. Pure description: it holds no arrays of its own.
 */
public final class FlatLayout {

    /**
     * One parameter of one layer.
     *
     * @param layer the layer or graph vertex that owns it
     * @param name the parameter name in the layer's parameter table
     * @param start first index in the flat vector
     * @param end one past the last index
     */
    public record Slot(Trainable layer, String name, long start, long end) {
        /** @return true if DL4J divides this parameter's gradient by the minibatch size (false for updates such
         * as BatchNorm's running mean and variance) */
        public boolean dividedByMinibatch() {
            return layer.updaterDivideByMinibatch(name);
        }

        /**
         * @return true if the parameter belongs to a {@code FrozenLayer}, {@code FrozenLayerWithBackprop} (which keeps
         * its inner layer's updater and hands the updater a zero gradient) or {@code FrozenVertex}: DL4J never
         * updates it
         */
        public boolean inFrozenLayer() {
            Object l = layer instanceof LayerVertex v ? v.getLayer() : layer;
            return l instanceof org.deeplearning4j.nn.layers.FrozenLayer
                    || l instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop
                    || layer instanceof FrozenVertex;
        }

        /**
         * @return true if a DeepSpeed optimizer skips this parameter, as DeepSpeed's skips parameters without
         * {@code requires_grad}: it is {@link #inFrozenLayer()}, or its updater is {@code NoOp} and it has a true
         * gradient (BatchNorm's running statistics also have NoOp, but their "gradient" is the update DL4J applies).
         * Not frozen for the network's own DL4J updaters: DL4J's {@code fit()} subtracts a NoOp parameter's
         * gradient as it is (NoOp leaves the gradient as the update), and so does the engine
         */
        public boolean frozen() {
            return inFrozenLayer() || layer.getConfig().getUpdaterByParam(name) instanceof NoOp && dividedByMinibatch();
        }
    }

    /**
     * A DL4J updater block: consecutive slots sharing one updater configuration.
     *
     * @param start first flat index
     * @param end one past the last flat index
     * @param updater the shared updater configuration
     * @param slots the parameters in the block, in flat order
     */
    public record Block(long start, long end, IUpdater updater, List<Slot> slots) {
        /** Defensive copy. */
        public Block {
            slots = List.copyOf(slots);
        }
    }

    private final List<Slot> slots;
    private final List<Block> blocks;
    private final long length;

    private FlatLayout(List<Slot> slots, List<Block> blocks, long length) {
        this.slots = Collections.unmodifiableList(slots);
        this.blocks = Collections.unmodifiableList(blocks);
        this.length = length;
    }

    /**
     * Describes a network.
     *
     * @param net an initialised {@link MultiLayerNetwork} or {@link ComputationGraph}, or a MultiLayerNetwork not yet
     *            initialised (described without allocating its flat vector: {@link PartitionedConstruction})
     * @return its layout
     */
    public static FlatLayout of(Model net) {
        if (PartitionedConstruction.applies(net)) { // not initialised: the layout its init() would give
            return PartitionedConstruction.layout(((MultiLayerNetwork) net).getLayerWiseConfigurations());
        }
        FlatLayout layout = ofLayers(orderedLayers(net));
        if (layout.length() != net.numParams()) {
            throw new IllegalStateException("layout covers " + layout.length() + " parameters but the network has "
                    + net.numParams() + "; is the network initialised (net.init())?");
        }
        return layout;
    }

    /**
     * Describes layers that are laid out one after the other in this order (a rank's own layers).
     *
     * @param layers the layers with their parameter tables, in flat order
     * @return their layout
     */
    public static FlatLayout ofLayers(List<? extends Trainable> layers) {
        List<Slot> slots = new ArrayList<>();
        long offset = 0;
        for (Trainable t : layers) {
            Map<String, INDArray> table = t.paramTable(false);
            if (table == null) {
                continue;
            }
            for (Map.Entry<String, INDArray> e : table.entrySet()) {
                long n = e.getValue().length();
                slots.add(new Slot(t, e.getKey(), offset, offset + n));
                offset += n;
            }
        }
        return new FlatLayout(slots, group(slots), offset);
    }

    private static List<Block> group(List<Slot> slots) {
        List<Block> blocks = new ArrayList<>();
        List<Slot> current = new ArrayList<>();
        for (Slot s : slots) {
            if (!current.isEmpty()) {
                Slot last = current.get(current.size() - 1);
                if (!UpdaterUtils.updaterConfigurationsEquals(last.layer(), last.name(), s.layer(), s.name())) {
                    blocks.add(toBlock(current));
                    current = new ArrayList<>();
                }
            }
            current.add(s);
        }
        if (!current.isEmpty()) {
            blocks.add(toBlock(current));
        }
        return blocks;
    }

    private static Block toBlock(List<Slot> s) {
        Slot first = s.get(0);
        IUpdater u = first.layer().getConfig().getUpdaterByParam(first.name());
        return new Block(first.start(), s.get(s.size() - 1).end(), u, s);
    }

    /**
     * The layers with parameters in DL4J's flattening order: layer order for a MultiLayerNetwork, the topological
     * order of vertices with parameters for a ComputationGraph.
     *
     * @param net the network
     * @return the ordered layers
     */
    public static List<Trainable> orderedLayers(Model net) {
        List<Trainable> out = new ArrayList<>();
        if (net instanceof MultiLayerNetwork mln) {
            Collections.addAll(out, mln.getLayers());
        } else if (net instanceof ComputationGraph cg) {
            GraphVertex[] vertices = cg.getVertices();
            for (int idx : cg.topologicalSortOrder()) {
                if (vertices[idx].numParams() > 0) {
                    out.add(vertices[idx]);
                }
            }
        } else {
            throw unsupported(net);
        }
        return out;
    }

    static IllegalArgumentException unsupported(Object net) {
        return new IllegalArgumentException("model: " + (net == null ? "null" : net.getClass().getName())
                + " is not supported; pass a MultiLayerNetwork or a ComputationGraph");
    }

    /** @return every parameter slot in flat order */
    public List<Slot> slots() {
        return slots;
    }

    /** @return DL4J's updater blocks in flat order */
    public List<Block> blocks() {
        return blocks;
    }

    /** @return the first frozen parameter ({@link Slot#frozen()}), if any */
    public java.util.Optional<Slot> firstFrozen() {
        return slots.stream().filter(Slot::frozen).findFirst();
    }

    /**
     * Lamb's per-tensor pieces of the range {@code [from, to)}: each parameter is a tensor, frozen ones left out.
     *
     * @param comm the ranks whose pieces of a tensor make it whole, or null when the range holds whole tensors
     * @return the tensors
     */
    public io.ds4j.zero.update.LambTensors lambTensors(long from, long to, io.ds4j.zero.comm.Collectives comm) {
        List<io.ds4j.zero.shard.Range> ranges = slots.stream()
                .map(s -> new io.ds4j.zero.shard.Range(s.start(), s.end() - s.start())).toList();
        return io.ds4j.zero.update.LambTensors.of(ranges, t -> slots.get(t).frozen(), from, to, comm);
    }

    /** @return the length of the flat vector */
    public long length() {
        return length;
    }
}
