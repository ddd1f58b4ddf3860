package io.ds4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code .ds4j_env}, the counterpart of DeepSpeed's {@code .deepspeed_env}: {@code KEY=VALUE} lines ({@code #}
 * comments and blank lines skipped) that {@code ds4j launch --hosts} gives every rank on every host, read from the
 * home directory and then the working directory (a key in both: the working directory's wins). For what a remote
 * host's login shell lacks: {@code LD_LIBRARY_PATH} to UCX, {@code UCX_NET_DEVICES}, a proxy. Errors name file and
 * line.
 */
final class LaunchEnvFile {
    /** The file's name. */
    static final String NAME = ".ds4j_env";

    private LaunchEnvFile() {
    }

    /**
     * The files read for a launcher with home directory {@code home} (may be null) in working directory {@code cwd}.
     */
    static List<Path> files(String home, Path cwd) {
        return home == null || home.isBlank() ? List.of(cwd.resolve(NAME)) : List.of(Path.of(home).resolve(NAME),
                cwd.resolve(NAME));
    }

    /** The variables of those of {@code files} that exist, later files overriding earlier ones. */
    static Map<String, String> read(List<Path> files) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Path f : files.stream().distinct().toList()) {
            if (!Files.isRegularFile(f)) {
                continue;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (IOException e) {
                throw new IllegalArgumentException(f + " cannot be read: " + e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.indexOf('=');
                if (eq < 1 || !line.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException(f + ":" + (i + 1) + ": '" + line + "' is not KEY=VALUE (e.g."
                            + " UCX_NET_DEVICES=mlx5_0:1); fix or remove the line");
                }
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }
}
