package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.ConfigHash;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.dist.Distributed;
import io.ds4j.zero.dist.ProcessGroup;
import java.time.Duration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a {@link ZeroTrainer} does differently when its ranks are processes ({@link ZeroTrainer.Builder#distributed}):
 * connect through the rendezvous with a fingerprint of the job, start every rank from rank 0's parameters (as
 * DeepSpeed broadcasts them at initialization), and at the end of {@code fit} give every process the full fp32
 * master (each rank holds only its range's).
 */
final class ProcessRanks {
    private ProcessRanks() {
    }

    /**
     * Connects this process's rank; a different config or model on another rank is named at the rendezvous.
     *
     * @param d where this process stands
     * @param jobText the text every rank must agree on (the resolved config)
     * @param numParams the model's parameter count
     * @param timeout the collective timeout
     */
    static Collectives connect(Distributed d, String jobText, long numParams, Duration timeout) {
        String job = "config sha-256 " + ConfigHash.sha256Hex(jobText) + ", " + numParams + " parameters";
        return ProcessGroup.connect(d, job, timeout);
    }

    /**
     * @param net the user's network
     * @return its parameter count; for a network to be built partitioned, from its configuration (never allocating
     *         the flat vector, which {@code numParams()} would)
     */
    static long numParams(org.deeplearning4j.nn.api.Model net) {
        if (PartitionedConstruction.applies(net)) {
            MultiLayerNetwork m = (MultiLayerNetwork) net;
            return PartitionedConstruction.numParams(PartitionedConstruction.prepared(m.getLayerWiseConfigurations()));
        }
        return net.params().length();
    }

    /**
     * Every rank starts from rank 0's parameters, as DeepSpeed broadcasts them at initialization (its
     * {@code zero.Init} too): an initialised network gets rank 0's flat vector; a network to be built partitioned gets
     * rank 0's configuration seed, so every process draws rank 0's initial values layer by layer (a configuration
     * without {@code seed(...)} has a clock seed that differs from process to process).
     *
     * @param comm this rank's collectives
     * @param net the user's network
     */
    static void startFromRankZero(Collectives comm, org.deeplearning4j.nn.api.Model net) {
        if (PartitionedConstruction.applies(net)) {
            MultiLayerConfiguration conf = ((MultiLayerNetwork) net).getLayerWiseConfigurations();
            long seed = broadcastLong(comm, conf.getConf(0).getSeed());
            conf.getConfs().forEach(c -> c.setSeed(seed));
        } else {
            broadcastParams(comm, ShardUpdater.flat(net.params()));
        }
    }

    /** Rank 0's {@code value}, sent as four 16-bit pieces (each exact in a float). */
    private static long broadcastLong(Collectives comm, long value) {
        float[] pieces = new float[4];
        for (int i = 0; i < 4; i++) {
            pieces[i] = (value >>> (16 * i)) & 0xFFFF;
        }
        comm.broadcast(pieces, 0, 4, 0);
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= ((long) pieces[i]) << (16 * i);
        }
        return v;
    }

    /** Every rank's parameters become rank 0's (bit for bit): a broadcast of the flat vector. */
    private static void broadcastParams(Collectives comm, INDArray params) {
        float[] p = params.castTo(DataType.FLOAT).toFloatVector();
        comm.broadcast(p, 0, p.length, 0);
        params.assign(Nd4j.createFromArray(p).castTo(params.dataType()).reshape(params.shape()));
    }

    /**
     * Every rank's fp32 master range into {@code target} (the user's flat parameters): an all-gather of the shards of
     * the padded even split ({@code ShardLayout} with the alignment the workers use).
     *
     * @param comm this rank's collectives
     * @param target the user's flat parameters; holds this rank's range already
     * @param layout the split of the flat vector over the ranks
     */
    static void gatherMaster(Collectives comm, INDArray target, io.ds4j.zero.shard.ShardLayout layout) {
        int w = comm.worldSize();
        int shard = (int) layout.shardLength();
        int n = (int) target.length();
        float[] all = new float[shard * w];
        float[] own = target.toFloatVector();
        io.ds4j.zero.shard.Range mine = layout.ownedRange(comm.rank());
        System.arraycopy(own, (int) mine.offset(), all, comm.rank() * shard, (int) mine.length());
        comm.allGather(all, comm.rank() * shard, all, 0, shard, shard);
        target.assign(Nd4j.createFromArray(java.util.Arrays.copyOf(all, n)).reshape(target.shape()));
    }
}
