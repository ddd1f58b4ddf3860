package io.ds4j.dl4j;

import io.ds4j.zero.dist.Distributed;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * One rank of {@link DistributedCheckpointTest}, as its own JVM started with torchrun's variables, for every case of
 * {@link DistributedCheckpointTest#CASES}. {@code args[0]}: the shared folder; {@code args[1]}: {@code save} (train
 * this rank's micro-batches of every step, saving tag {@code mid} after step {@link DistributedCheckpointTest#MID}
 * from a listener and tag {@code end} at the end, into {@code <case>/ck}) or {@code resume} (load {@code <case>/ck}'s
 * {@code mid} and train on from there over the same micro-batches). Each writes its final parameters to
 * {@code <case>-<mode><world size>-rank<r>}. Exit status 0, or 3 with the failure on stderr.
 */
public final class CheckpointRankMain {
    private CheckpointRankMain() {
    }

    /** Runs the mode. */
    public static void main(String[] args) throws IOException {
        Distributed d = Distributed.fromEnvironment();
        Path out = Path.of(args[0]);
        boolean save = args[1].equals("save");
        try {
            for (DistributedCases.Case c : DistributedCheckpointTest.cases()) {
                MultiLayerNetwork net = c.net(d.rank());
                Path ck = out.resolve(c.name()).resolve("ck");
                float[] trained;
                try (ZeroTrainer t = ZeroTrainer.builder(net).config(c.config()).distributed(d).threadsPerRank(1)
                        .collectiveTimeout(Duration.ofSeconds(20)).build()) {
                    if (save) {
                        net.addListeners(new CheckpointCases.Recorder(t, DistributedCheckpointTest.MID, ck));
                    } else {
                        t.loadCheckpoint(ck, "mid");
                    }
                    t.fit(new ExistingDataSetIterator(DistributedCases.micro(d.rank(), d.worldSize())));
                    if (save) {
                        t.saveCheckpoint(ck, "end");
                    }
                    trained = t.network().params().toFloatVector();
                }
                RankProcesses.write(out.resolve(c.name() + "-" + args[1] + d.worldSize() + "-rank" + d.rank()),
                        trained);
            }
        } catch (RuntimeException e) {
            System.err.println("rank " + d.rank() + " failed: " + e);
            e.printStackTrace();
            System.exit(3);
        }
        System.exit(0);
    }
}
