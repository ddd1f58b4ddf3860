package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ZeRO stage 3's partitioned construction (DeepSpeed's {@code zero.Init}) of a {@link MultiLayerNetwork} that has not
 * been initialised ({@code new MultiLayerNetwork(conf)} without {@code init()}): the network's full flat parameter
 * vector is never allocated. Each rank instantiates the layers one at a time, each on an array of its own size,
 * initialises it with DL4J's own initialisers exactly as {@code MultiLayerNetwork.init()} would (the same RNG seed, set
 * once, then the layers in order, on the rank's own thread-local ND4J random generator), and partitions it at once
 * into the rank's shards; the layer's array is then freed (its values are
 * copied into the shards from its own memory, a small tile at a time, so no heap copy of a layer is made).
 *
 * <p>The parameters are therefore bit-identical to those {@code init()} would give, and a trainer built this way trains
 * as one built from the initialised network ({@code PartitionedConstructionTest}). Only a {@link MultiLayerNetwork}:
 * DL4J wires a {@code ComputationGraph}'s vertices only inside {@code init}, on a full flat vector.
 */
public final class PartitionedConstruction {
    private PartitionedConstruction() {
    }

    /**
     * @param net a network
     * @return true when {@code net} is a {@link MultiLayerNetwork} on which {@code init()} has not been called
     */
    public static boolean applies(Model net) {
        return net instanceof MultiLayerNetwork m && !m.isInitCalled();
    }

    /**
     * A copy of the configuration with every layer's data type set as {@code init()} sets it.
     *
     * @param conf the user's configuration (left unchanged)
     * @return the copy
     * @throws IllegalArgumentException when the network's data type is not FLOAT
     */
    public static MultiLayerConfiguration prepared(MultiLayerConfiguration conf) {
        if (conf.getDataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("network data type: " + conf.getDataType() + " is not supported by ZeRO"
                    + " stage 3 yet; build the network with dataType(DataType.FLOAT)");
        }
        MultiLayerConfiguration c = conf.clone();
        for (NeuralNetConfiguration l : c.getConfs()) {
            l.getLayer().setDataType(c.getDataType());
        }
        return c;
    }

    /**
     * @param conf a {@link #prepared} configuration
     * @param i    a layer index
     * @return layer i's parameter count
     */
    public static long numParams(MultiLayerConfiguration conf, int i) {
        NeuralNetConfiguration c = conf.getConf(i);
        return c.getLayer().initializer().numParams(c);
    }

    /**
     * @param conf a {@link #prepared} configuration
     * @return the network's parameter count Ψ
     */
    public static long numParams(MultiLayerConfiguration conf) {
        long n = 0;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            n += numParams(conf, i);
        }
        return n;
    }

    /**
     * @param conf a {@link #prepared} configuration
     * @return the parameter count of the largest layer
     */
    public static long largestLayer(MultiLayerConfiguration conf) {
        long m = 0;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            m = Math.max(m, numParams(conf, i));
        }
        return m;
    }

    /**
     * The flat layout {@code init()} would give ({@link FlatLayout#of}: names, lengths, updaters), described by the
     * network's layers instantiated without initialising their parameters on views of one shared array of the largest
     * layer's size, which is freed as soon as the layout is made: the layers are a description, never computed with,
     * and their parameter views must not be read. Left to the garbage collector, that array was a largest layer of
     * resident native memory per call, and a stage-3 rank process of a 4-way job, which collects rarely, still held
     * the three its build made at the end of training ({@code SkeletonResidentTest}).
     *
     * @param conf the user's configuration (left unchanged)
     * @return the layout
     */
    static FlatLayout layout(MultiLayerConfiguration conf) {
        MultiLayerConfiguration c = prepared(conf);
        INDArray shared = Nd4j.create(c.getDataType(), 1, Math.max(1, largestLayer(c)));
        try {
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.getConfs().size(); i++) {
                long n = numParams(c, i);
                INDArray view = n == 0 ? null
                        : shared.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(0, n));
                layers.add(c.getConf(i).getLayer().instantiate(c.getConf(i), List.of(), i, view, false,
                        c.getDataType()));
            }
            return FlatLayout.ofLayers(layers); // reads the views' lengths only
        } finally {
            if (shared.closeable()) {
                shared.close();
            }
        }
    }

    /**
     * Draws the initial parameters layer by layer, as {@code MultiLayerNetwork.init()} does, handing each layer's
     * values (in its flat order) to {@code sink} before the next layer is drawn. Call on the thread that will own the
     * values: it seeds that thread's ND4J random generator with the configuration's seed.
     *
     * @param conf a {@link #prepared} configuration (a copy only this call uses: DL4J records variables in it)
     * @param sink receives the layer index and its initial values (the layer array's own memory, element 0 at index
     *             0, valid during the call only)
     */
    public static void initialise(MultiLayerConfiguration conf,
                                  java.util.function.ObjIntConsumer<java.nio.FloatBuffer> sink) {
        Nd4j.getRandom().setSeed(conf.getConf(0).getSeed());
        for (int i = 0; i < conf.getConfs().size(); i++) {
            long n = numParams(conf, i);
            if (n == 0) {
                conf.getConf(i).getLayer().instantiate(conf.getConf(i), List.of(), i, null, true, conf.getDataType());
                sink.accept(java.nio.FloatBuffer.allocate(0), i);
                continue;
            }
            INDArray own = Nd4j.create(conf.getDataType(), n); // one layer, as init()'s view of its flat vector
            conf.getConf(i).getLayer().instantiate(conf.getConf(i), List.of(), i, own, true, conf.getDataType());
            sink.accept(io.ds4j.zero.kernels.HostFloats.buffer(own), i); // its native memory: no heap copy
            if (own.closeable()) {
                own.close(); // freed now: with no heap garbage to collect, the collector would free it much later
            }
        }
    }
}
