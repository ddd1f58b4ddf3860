package io.ds4j.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code ds4j report}: what this machine offers ds4j, in the spirit of DeepSpeed's {@code ds_report}: Java, the ND4J
 * backend and its BLAS, cores, memory, and whether CUDA and NCCL are usable.
 */
final class ReportCommand implements Command {
    @Override
    public String name() {
        return "report";
    }

    @Override
    public String summary() {
        return "Java, ND4J backend and BLAS, cores, memory, CUDA/NCCL availability (like ds_report)";
    }

    @Override
    public String usage() {
        return "usage: ds4j report";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            throw new UsageException("report takes no arguments, got " + args);
        }
        Map<String, String> rows = new java.util.LinkedHashMap<>();
        rows.put("ds4j version", String.valueOf(Main.class.getPackage().getImplementationVersion()));
        rows.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        rows.put("os / arch", System.getProperty("os.name") + " " + System.getProperty("os.version") + " / "
                + System.getProperty("os.arch"));
        rows.put("cpu cores (JVM)", String.valueOf(Runtime.getRuntime().availableProcessors()));
        rows.put("max heap", mib(Runtime.getRuntime().maxMemory()));
        rows.put("physical memory", physicalMemory());
        backend(rows, err);
        rows.put("nccl binding (org.bytedeco.cuda.global.nccl)", onClasspath("org.bytedeco.cuda.global.nccl")
                ? "on the classpath" : "not on the classpath (build with -Pcuda)");
        int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
        out.println("ds4j report");
        out.println("-".repeat(width + 40));
        rows.forEach((k, v) -> out.printf("%-" + width + "s  %s%n", k, v));
        return 0;
    }

    private static void backend(Map<String, String> rows, PrintStream err) {
        try {
            rows.put("nd4j backend class", Nd4j.getBackend().getClass().getName());
            rows.put("nd4j default data type", String.valueOf(Nd4j.dataType()));
            Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
            Map<String, String> sorted = new TreeMap<>();
            env.forEach((k, v) -> sorted.put(String.valueOf(k), String.valueOf(v)));
            sorted.forEach((k, v) -> rows.put("nd4j " + k, v));
            boolean cuda = Nd4j.getBackend().getClass().getName().toLowerCase().contains("jcublas");
            rows.put("cuda usable", cuda ? "yes (CUDA backend loaded)"
                    : "no (CPU backend; build with -Pcuda on a GPU machine)");
        } catch (Throwable t) {
            rows.put("nd4j backend", "FAILED to load: " + t);
            rows.put("cuda usable", "no");
            err.println("warning: the ND4J backend did not load: " + t);
        }
    }

    private static boolean onClasspath(String cls) {
        try {
            Class.forName(cls, false, ReportCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String physicalMemory() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return mib(sun.getTotalMemorySize()) + " total, " + mib(sun.getFreeMemorySize()) + " free";
        }
        return "unknown";
    }

    private static String mib(long bytes) {
        return String.format("%,d MiB", bytes >> 20);
    }
}
