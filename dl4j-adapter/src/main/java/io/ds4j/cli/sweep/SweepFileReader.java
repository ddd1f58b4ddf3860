package io.ds4j.cli.sweep;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ds4j.cli.sweep.SweepFile.Budget;
import io.ds4j.cli.sweep.SweepFile.Search;
import io.ds4j.sweep.SweepCandidate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code ds4j sweep} file. Every error is an {@link IllegalArgumentException} whose message is
 * {@code <key>: <what is wrong>; <what to do>}. The format (relative paths are resolved against the file's folder):
 *
 * <pre>{@code
 * {
 *   "base_config": "configs/sweep-base.json",       required: a DeepSpeed ds_config.json
 *   "model": "digits",                              digits (default), wide, or a ModelSerializer zip
 *   "world_size": 2,                                ranks per candidate (default 2)
 *   "steps": 100,                                   optimizer steps per candidate (default 100)
 *   "vary": {                                       required: at least one key
 *     "optimizer.params.lr": {"log_uniform": [1e-4, 1e-2]},
 *     "scheduler.params.warmup_num_steps": {"int": [0, 50]},
 *     "zero_optimization.stage": {"values": [1, 2, 3]},
 *     "world_size": {"values": [1, 2]}
 *   },
 *   "search": {"type": "grid", "points": 3},        grid (default; points per continuous key, default 3)
 *                                                   or {"type": "random", "seed": 42}
 *   "budget": {"max_candidates": 20, "max_minutes": 30},   random needs one of them
 *   "score": "test_loss",                           test_loss (default), test_accuracy or test_f1
 *   "out": "sweep-results"                          output folder (default sweep-results)
 * }
 * }</pre>
 */
public final class SweepFileReader {
    private static final Set<String> TOP = Set.of("base_config", "model", "world_size", "steps", "vary", "search",
            "budget", "score", "out");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private SweepFileReader() {
    }

    /**
     * @param file the sweep file
     * @return the parsed sweep
     * @throws IllegalArgumentException for a missing, malformed or invalid file
     */
    public static SweepFile read(Path file) {
        String text = readText(file, "the sweep file");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": a sweep file is a JSON object; see 'ds4j help sweep'");
        }
        unknownKeys(root, TOP, "");
        Path dir = file.toAbsolutePath().getParent();
        Path base = dir.resolve(text(required(root, "base_config"), "base_config"));
        String baseJson = readText(base, "base_config");
        String model = root.has("model") ? text(root.get("model"), "model") : "digits";
        if (!"digits".equals(model) && !"wide".equals(model)) {
            model = dir.resolve(model).toString();
        }
        int worldSize = root.has("world_size") ? whole(root.get("world_size"), "world_size", 1) : 2;
        int steps = root.has("steps") ? whole(root.get("steps"), "steps", 1) : 100;
        Map<String, VariedKey> vary = vary(required(root, "vary"));
        Search search = search(root.get("search"));
        Budget budget = budget(root.get("budget"));
        if ("random".equals(search.type()) && budget.maxCandidates() == 0 && budget.maxMinutes() == 0) {
            throw new IllegalArgumentException("budget: a random search never runs out of candidates; give"
                    + " budget.max_candidates or budget.max_minutes");
        }
        String score = root.has("score") ? text(root.get("score"), "score") : "test_loss";
        if (!SweepFile.SCORES.contains(score)) {
            throw new IllegalArgumentException("score: '" + score + "' is not a score; use one of "
                    + SweepFile.SCORES);
        }
        Path out = root.has("out") ? dir.resolve(text(root.get("out"), "out")) : Path.of("sweep-results");
        return new SweepFile(baseJson, base, model, worldSize, steps, vary, search, budget, score, out);
    }

    private static Map<String, VariedKey> vary(JsonNode node) {
        if (!node.isObject() || node.isEmpty()) {
            throw new IllegalArgumentException("vary: must be an object with at least one key, e.g. {\"optimizer"
                    + ".params.lr\": {\"log_uniform\": [1e-4, 1e-2]}}");
        }
        Map<String, VariedKey> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), VariedKeys.parse(e.getKey(), e.getValue()));
        }
        return out;
    }

    private static Search search(JsonNode node) {
        if (node == null) {
            return new Search("grid", 3, 42);
        }
        unknownKeys(node, Set.of("type", "points", "seed"), "search.");
        String type = node.has("type") ? text(node.get("type"), "search.type") : "grid";
        if (!"grid".equals(type) && !"random".equals(type)) {
            throw new IllegalArgumentException("search.type: '" + type + "' is not a search; use grid or random");
        }
        int points = node.has("points") ? whole(node.get("points"), "search.points", 2) : 3;
        long seed = node.has("seed") ? whole(node.get("seed"), "search.seed", 0) : 42;
        return new Search(type, points, seed);
    }

    private static Budget budget(JsonNode node) {
        if (node == null) {
            return new Budget(0, 0);
        }
        unknownKeys(node, Set.of("max_candidates", "max_minutes"), "budget.");
        int max = node.has("max_candidates") ? whole(node.get("max_candidates"), "budget.max_candidates", 1) : 0;
        double minutes = 0;
        if (node.has("max_minutes")) {
            JsonNode m = node.get("max_minutes");
            if (!m.isNumber() || !(m.asDouble() > 0)) {
                throw new IllegalArgumentException("budget.max_minutes: " + m + " is not allowed; use a number > 0");
            }
            minutes = m.asDouble();
        }
        return new Budget(max, minutes);
    }

    static JsonNode required(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(key + ": is required; see 'ds4j help sweep' for the file format");
        }
        return v;
    }

    static String text(JsonNode node, String key) {
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException(key + ": " + node + " is not allowed; use a non-empty string");
        }
        return node.asText();
    }

    static int whole(JsonNode node, String key, int min) {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min) {
            throw new IllegalArgumentException(key + ": " + node + " is not allowed; use a whole number >= " + min);
        }
        return node.asInt();
    }

    private static void unknownKeys(JsonNode node, Set<String> known, String prefix) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(prefix.isEmpty() ? "the sweep file is not an object"
                    : prefix.substring(0, prefix.length() - 1) + ": " + node + " is not an object");
        }
        List<String> sorted = new ArrayList<>(known);
        java.util.Collections.sort(sorted);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new IllegalArgumentException(prefix + k + ": is not a sweep file key; use one of " + sorted);
            }
        }
    }

    private static String readText(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read " + file + " (" + e.getMessage()
                    + "); check the path");
        }
    }

    /** The key for a varied world size. */
    static final String WORLD_SIZE = SweepCandidate.WORLD_SIZE;
}
