package io.ds4j.zero.offload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How many bytes can still be written under a directory; replaceable so tests can simulate a small disk. */
@FunctionalInterface
public interface FreeSpaceProbe {
    /** Usable bytes of the file system holding {@code directory}. */
    long usableBytes(Path directory) throws IOException;

    /** The file store's usable space ({@link java.nio.file.FileStore#getUsableSpace()}). */
    static FreeSpaceProbe fileStore() {
        return dir -> Files.getFileStore(dir).getUsableSpace();
    }
}
