package io.ds4j.dl4j;

import io.ds4j.zero.dist.Distributed;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;

/**
 * One rank of {@link DistributedTrainerTest}, as its own JVM started with torchrun's variables. {@code args[0]}: the
 * output folder; {@code args[1]}: {@code parity} (every case, final parameters written as raw floats),
 * {@code die} (the last rank halts in the middle of training), {@code other-config} (the last rank trains another
 * config); {@code args[2]}, optional: run only the cases whose name starts with it. Exit status 0, or 3 with the failure on stderr.
 */
public final class TrainerRankMain {
    private TrainerRankMain() {
    }

    /** Runs the mode. */
    public static void main(String[] args) throws IOException {
        Distributed d = Distributed.fromEnvironment();
        Path out = Path.of(args[0]);
        try {
            for (DistributedCases.Case c : DistributedCases.cases(args.length > 2 ? args[2] : "")) {
                boolean last = d.rank() == d.worldSize() - 1;
                String json = args[1].equals("other-config") && last ? c.json().replace("\"stage\": 0", "\"stage\": 1")
                        : c.json();
                MultiLayerNetwork net = c.net(d.rank());
                if (args[1].equals("die") && last) {
                    net.addListeners(new BaseTrainingListener() {
                        @Override
                        public void iterationDone(Model model, int iteration, int epoch) {
                            if (iteration == 1) {
                                Runtime.getRuntime().halt(9); // a rank's process dies between two steps
                            }
                        }
                    });
                }
                float[] trained;
                try (ZeroTrainer t = ZeroTrainer.builder(net).config(io.ds4j.config.DeepSpeedConfig.parse(json))
                        .distributed(d).threadsPerRank(1).collectiveTimeout(Duration.ofSeconds(20)).build()) {
                    t.fit(new ExistingDataSetIterator(DistributedCases.micro(d.rank(), d.worldSize())));
                    trained = t.network().params().toFloatVector(); // built partitioned: gathered now, in every process
                }
                RankProcesses.write(out.resolve(c.name() + "-rank" + d.rank()), trained);
            }
        } catch (RuntimeException e) {
            System.err.println("rank " + d.rank() + " failed: " + e);
            System.exit(3);
        }
        System.exit(0);
    }
}
