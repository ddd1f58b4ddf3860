package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import io.ds4j.zero.update.OffloadedShardUpdate;
import io.ds4j.zero.update.ShardUpdate;
import io.ds4j.zero.update.ResidentShardUpdate;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The values of a stage 0-2 rank's update range on their way out of the rank and back (part of {@link RankWorker}):
 * the gather of the ranges' compute copies into every replica after a step, the fp32 master written into the user's
 * network after {@code fit} (from every process when ranks are processes), and the checkpoint's pieces of the
 * canonical vectors (the master and the optimizer state of the range). It holds the rank's arrays, not copies, and no
 * state of its own.
 */
final class RangeValues {
    private final Collectives comm;
    private final Replica replica;
    private final RankPrecision precision;
    private final ShardLayout layout;
    private final Range range;
    private final INDArray master;
    private final INDArray paramRange;
    private final ShardUpdater updater; // the network's own DL4J updaters, or null
    private final ShardUpdate fused;    // DeepSpeed's optimizer, or null
    private final boolean sharded;      // stages 1-2 over more than one rank: each rank holds only its range

    RangeValues(Collectives comm, Replica replica, RankPrecision precision, ShardLayout layout, Range range,
                INDArray master, INDArray paramRange, ShardUpdater updater, ShardUpdate fused, boolean sharded) {
        this.comm = comm;
        this.replica = replica;
        this.precision = precision;
        this.layout = layout;
        this.range = range;
        this.master = master;
        this.paramRange = paramRange;
        this.updater = updater;
        this.fused = fused;
        this.sharded = sharded;
    }

    /**
     * Gathers the updated ranges into every replica's parameters after a step ({@link ParamGather}); at stage 0 every
     * rank updated everything, and only a HALF replica gets its compute copy (fp16 values, an exact cast), chunk by
     * chunk through {@code staging}.
     *
     * @param stage           the ZeRO stage
     * @param allgatherBucket {@code allgather_bucket_size}
     * @param staging         the buffer the values pass through (stage 2's staging, or the step's bucket)
     */
    void gather(int stage, long allgatherBucket, java.util.function.Supplier<float[]> staging) {
        if (stage == 0) {
            if (replica.half()) {
                // fp16 values, an exact cast, chunk by chunk through the step's bucket
                float[] chunk = staging.get();
                for (long at = 0; at < range.length(); at += chunk.length) {
                    int len = (int) Math.min(chunk.length, range.length() - at);
                    ownComputeValues(at, len, chunk, 0);
                    HostFloats.write(chunk, 0, ShardUpdater.slice(replica.params(), at, at + len));
                }
            }
            return;
        }
        ParamGather.gather(comm, layout, allgatherBucket, staging.get(), replica.params(), this::ownComputeValues);
    }

    /**
     * Copies the compute copy of {@code n} elements of the update range from {@code from} (relative to the range)
     * into {@code dst[at, +n)}: the replica's own values, or for a HALF replica the master rounded to fp16.
     */
    private void ownComputeValues(long from, int n, float[] dst, int at) {
        if (!replica.half()) {
            HostFloats.read(ShardUpdater.slice(paramRange, from, from + n), dst, at);
            return;
        }
        HostFloats.read(ShardUpdater.slice(master, from, from + n), dst, at);
        precision.roundCompute(dst, at, n);
    }

    /** After {@code fit}: {@code target} (the user's flat parameters) gets this rank's fp32 master of its range. */
    void masterInto(INDArray target) {
        if (master != paramRange && !range.isEmpty()) {
            ShardUpdater.slice(target, range.offset(), range.end()).assign(master);
        }
    }

    /**
     * Ranks as processes, after {@link RankWorker#endFit}: {@code target} gets every rank's fp32 master range (in one
     * JVM the ranks write their ranges into the same network themselves).
     */
    void gatherMasterFromAll(INDArray target) {
        if (master != paramRange && sharded) {
            ProcessRanks.gatherMaster(comm, target, layout);
        }
    }

    /**
     * Checkpoint export, between steps: this rank's pieces of the canonical vectors ({@link
     * io.ds4j.dl4j.checkpoint.EngineState}): its range of the fp32 master and of the optimizer state.
     */
    io.ds4j.dl4j.checkpoint.RankShard exportShard() {
        java.util.Map<String, List<io.ds4j.dl4j.checkpoint.StatePiece>> v = new java.util.HashMap<>();
        long off = range.offset();
        v.put(TrainerState.MASTER, List.of(new io.ds4j.dl4j.checkpoint.StatePiece(off, HostFloats.read(master))));
        if (updater != null) {
            v.put(TrainerState.UPDATER, UpdaterStatePieces.export(FlatLayout.of(replica.net()), off, range.end(),
                    updater.state()));
        } else {
            for (int w = 0; w < stateWords(); w++) {
                float[] word = new float[(int) range.length()];
                if (fused instanceof OffloadedShardUpdate o) {
                    o.store().readState(w, word, 0);
                } else {
                    System.arraycopy(((ResidentShardUpdate) fused).stateWord(w), 0, word, 0, word.length);
                }
                v.put(TrainerState.state(w), List.of(new io.ds4j.dl4j.checkpoint.StatePiece(off, word)));
            }
        }
        return new io.ds4j.dl4j.checkpoint.RankShard(comm.rank(), v);
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    int stateWords() {
        return fused == null ? 0 : fused instanceof OffloadedShardUpdate o ? o.store().stateWords()
                : ((ResidentShardUpdate) fused).stateWords();
    }

    /**
     * Checkpoint import, between fits: the replica's parameters become the whole master (rounded to the compute
     * format when the next {@code fit} begins), the range's master and optimizer state are taken from the whole
     * canonical vectors.
     */
    void importShard(java.util.Map<String, float[]> full) {
        float[] m = full.get(TrainerState.MASTER);
        HostFloats.write(m, 0, replica.params()); // a HALF replica gets the exact cast (its rounding)
        int off = (int) range.offset();
        if (master != paramRange) {
            HostFloats.write(m, off, master);
        }
        if (updater != null) {
            UpdaterStatePieces.restore(FlatLayout.of(replica.net()), off, range.end(), full.get(TrainerState.UPDATER),
                    updater.state());
            return;
        }
        int n = (int) range.length();
        if (fused instanceof OffloadedShardUpdate o) {
            List<io.ds4j.zero.kernels.HeapFp32> words = new java.util.ArrayList<>();
            for (int w = 0; w < stateWords(); w++) {
                words.add(new io.ds4j.zero.kernels.HeapFp32(full.get(TrainerState.state(w)), off, n));
            }
            o.store().restore(new io.ds4j.zero.kernels.HeapFp32(m, off, n), words);
        } else {
            for (int w = 0; w < stateWords(); w++) {
                System.arraycopy(full.get(TrainerState.state(w)), off, ((ResidentShardUpdate) fused).stateWord(w), 0,
                        n);
            }
        }
    }
}
