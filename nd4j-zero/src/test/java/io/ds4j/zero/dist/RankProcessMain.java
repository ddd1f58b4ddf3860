package io.ds4j.zero.dist;

import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.time.Duration;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.ucx.UcxCollectives;

/**
 * One rank of {@link SeparateProcessesTest}, as its own JVM: reads its place from the launcher variables, meets the
 * others, and runs a scenario. {@code args}: scenario ({@code sum}, {@code stall} or {@code loop}), output file,
 * fingerprint. {@code sum} writes every collective's result as raw floats; {@code stall} makes the last rank stop
 * outside any collective (to be killed) while the others enter an all-reduce; {@code loop} all-reduces 16 MiB over
 * and over (for a rank to be frozen mid-transfer), saying {@code LOOPING} after the first.
 */
public final class RankProcessMain {
    private RankProcessMain() {
    }

    /** Runs the scenario; exit status 0, or 3 with the failure on stderr. */
    public static void main(String[] args) throws IOException {
        Distributed d = Distributed.fromEnvironment();
        try (UcxCollectives c = ProcessGroup.connect(d, args[2], Duration.ofSeconds(20));
                DataOutputStream out = new DataOutputStream(new FileOutputStream(args[1]))) {
            if (args[0].equals("sum")) {
                for (float[] r : SeparateProcessesTest.scenario(c)) {
                    for (float f : r) {
                        out.writeFloat(f);
                    }
                }
            } else if (args[0].equals("loop")) {
                float[] v = new float[4 << 20];
                c.allReduceSum(v, 0, v.length);
                System.out.println("LOOPING");
                System.out.flush();
                while (true) {
                    c.allReduceSum(v, 0, v.length);
                }
            } else {
                c.barrier();
                if (c.rank() == c.worldSize() - 1) {
                    System.out.println("STALLED");
                    System.out.flush();
                    sleepForever();
                }
                c.allReduceSum(new float[1000], 0, 1000);
            }
        } catch (RuntimeException e) {
            System.err.println("rank " + d.rank() + " failed: " + e.getMessage());
            System.exit(3);
        }
    }

    private static void sleepForever() {
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The ranks as this JVM's collectives see them (for the in-process reference). */
    static float[][] run(Collectives c) {
        return SeparateProcessesTest.scenario(c).toArray(new float[0][]);
    }
}
