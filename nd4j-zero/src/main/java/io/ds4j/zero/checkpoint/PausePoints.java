package io.ds4j.zero.checkpoint;

/**
 * Named points of a save where a test can stop the process: with the system property {@value #PROPERTY} set to a
 * comma-separated list of point names, a save that reaches one of them prints {@code ds4j-checkpoint-paused <name>}
 * on standard output and waits forever, so that the test, reading that line from a child JVM, can kill it right
 * there and show what a crash at that point leaves behind. Without the property (always, outside tests) a point does
 * nothing.
 *
 * <p>The points of a save, in order: {@code file-written} (after each file: the first one is the interesting one),
 * {@code files-written}, {@code folder-renamed}, {@code latest-written} (the temporary {@code latest} forced, not yet
 * renamed), {@code latest-renamed}.
 */
public final class PausePoints {

    /** The system property naming the points to pause at. */
    public static final String PROPERTY = "ds4j.checkpoint.pauseAt";

    private PausePoints() {
    }

    /**
     * Pauses forever when {@code name} is listed in {@value #PROPERTY}; returns at once otherwise.
     *
     * @param name the point reached
     */
    public static void reach(String name) {
        String list = System.getProperty(PROPERTY);
        if (list == null || !java.util.Arrays.asList(list.split(",")).contains(name)) {
            return;
        }
        System.out.println("ds4j-checkpoint-paused " + name);
        System.out.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
