package io.ds4j.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ds4j.config.DeepSpeedConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;
import org.junit.jupiter.api.Test;

/** DeepSpeedConfigSpace and SweepSpace as Arbiter's generators see them; no training. */
class DeepSpeedConfigSpaceTest {
    private static final String BASE = "{\"train_batch_size\": 32, \"optimizer\": {\"type\": \"Adam\","
            + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": 0}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCandidateIsTheBaseWithEachVariedPathSetAndMissingSectionsCreated() throws Exception {
        DeepSpeedConfigSpace space = DeepSpeedConfigSpace.builder(BASE)
                .vary("optimizer.params.lr", new DiscreteParameterSpace<>(0.01))
                .vary("zero_optimization.stage", new DiscreteParameterSpace<>(2))
                .vary("bf16.enabled", new DiscreteParameterSpace<>(true)).build();
        space.collectLeaves().forEach(l -> l.setIndices(0)); // as a generator does; one value each
        ConfigCandidate c = space.getValue(new double[] {0.0});
        JsonNode json = JSON.readTree(c.json());
        assertEquals(0.01, json.at("/optimizer/params/lr").asDouble());
        assertEquals("Adam", json.at("/optimizer/type").asText());
        assertEquals(2, json.at("/zero_optimization/stage").asInt());
        assertTrue(json.at("/bf16/enabled").asBoolean());
        assertEquals(32, json.get("train_batch_size").asInt());
        assertEquals(List.of("optimizer.params.lr", "zero_optimization.stage", "bf16.enabled"),
                List.copyOf(c.values().keySet()));
        DeepSpeedConfig parsed = DeepSpeedConfig.parse(c.json());
        assertEquals(2, parsed.zero().stage());
        assertTrue(parsed.bf16().enabled());
    }

    @Test
    void gridOverLogUniformIntegerAndListedKeysEnumeratesEveryCombination() {
        DeepSpeedConfigSpace config = DeepSpeedConfigSpace.builder(BASE)
                .vary("optimizer.params.lr", DeepSpeedConfigSpace.logUniform(1e-4, 1e-2))
                .vary("gradient_accumulation_steps", new IntegerParameterSpace(1, 2))
                .vary("fp16.enabled", new DiscreteParameterSpace<>(false, true)).build();
        SweepSpace space = SweepSpace.builder(config).network(() -> null).worldSize(2).build();
        GridSearchCandidateGenerator grid = new GridSearchCandidateGenerator(space, 3,
                GridSearchCandidateGenerator.Mode.Sequential, null);
        assertEquals(3 * 2 * 2, grid.getTotalNumCandidates());
        List<Map<String, Object>> seen = new ArrayList<>();
        while (grid.hasMoreCandidates()) {
            Candidate<?> c = grid.getCandidate();
            SweepCandidate s = (SweepCandidate) c.getValue();
            assertEquals(2, s.worldSize());
            seen.add(s.varied());
        }
        assertEquals(12, seen.size());
        // log-uniform on a 3-point grid: the bounds and their geometric mean, sqrt(1e-4 * 1e-2) = 1e-3
        double[] lrs = seen.stream().mapToDouble(m -> (Double) m.get("optimizer.params.lr")).distinct().sorted()
                .toArray();
        assertEquals(3, lrs.length);
        assertEquals(1e-4, lrs[0], 1e-4 * 1e-12);
        assertEquals(1e-3, lrs[1], 1e-3 * 1e-12);
        assertEquals(1e-2, lrs[2], 1e-2 * 1e-12);
        assertEquals(12, seen.stream().distinct().count(), "every combination once: " + seen);
        assertFalse(seen.get(0).containsKey(SweepCandidate.WORLD_SIZE), "a fixed world size is not a varied key");
    }

    @Test
    void aVariedWorldSizeIsACandidateKey() {
        SweepSpace space = SweepSpace.builder(DeepSpeedConfigSpace.builder(BASE).build()).network(() -> null)
                .worldSize(new DiscreteParameterSpace<>(1, 4)).build();
        GridSearchCandidateGenerator grid = new GridSearchCandidateGenerator(space, 3,
                GridSearchCandidateGenerator.Mode.Sequential, null);
        List<Object> sizes = new ArrayList<>();
        while (grid.hasMoreCandidates()) {
            SweepCandidate s = (SweepCandidate) grid.getCandidate().getValue();
            sizes.add(s.varied().get(SweepCandidate.WORLD_SIZE));
            assertEquals(s.worldSize(), s.varied().get(SweepCandidate.WORLD_SIZE));
        }
        assertEquals(List.of(1, 4), sizes);
    }

    @Test
    void aSingleValuedKeyBeforeOthersDoesNotShiftTheirGridSlots() {
        // Arbiter beta7's grid gives a one-value discrete space no slot but an index; ds4j makes it a FixedValue
        DeepSpeedConfigSpace config = DeepSpeedConfigSpace.builder(BASE)
                .vary("zero_optimization.stage", new DiscreteParameterSpace<>(2))
                .vary("gradient_accumulation_steps", new IntegerParameterSpace(4, 4))
                .vary("optimizer.params.lr", new DiscreteParameterSpace<>(0.1, 0.2)).build();
        SweepSpace space = SweepSpace.builder(config).network(() -> null)
                .worldSize(new DiscreteParameterSpace<>(3)).build();
        GridSearchCandidateGenerator grid = new GridSearchCandidateGenerator(space, 3,
                GridSearchCandidateGenerator.Mode.Sequential, null);
        List<Object> lrs = new ArrayList<>();
        while (grid.hasMoreCandidates()) {
            Candidate<?> c = grid.getCandidate();
            assertEquals(null, c.getException());
            SweepCandidate s = (SweepCandidate) c.getValue();
            assertEquals(Map.of("zero_optimization.stage", 2, "gradient_accumulation_steps", 4,
                    "optimizer.params.lr", s.varied().get("optimizer.params.lr"), SweepCandidate.WORLD_SIZE, 3),
                    s.varied());
            lrs.add(s.varied().get("optimizer.params.lr"));
        }
        assertEquals(List.of(0.1, 0.2), lrs);
    }

    @Test
    void malformedPathsAndBasesAreRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeepSpeedConfigSpace
                .builder(BASE).vary("optimizer..lr", new DiscreteParameterSpace<>(1)));
        assertTrue(e.getMessage().contains("'optimizer..lr' has an empty key"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeepSpeedConfigSpace.builder(BASE)
                .vary("optimizer.params.lr", new DiscreteParameterSpace<>(1))
                .vary("optimizer.params.lr", new DiscreteParameterSpace<>(2)));
        assertTrue(e.getMessage().contains("optimizer.params.lr is varied twice"), e.getMessage());
        DeepSpeedConfigSpace through = DeepSpeedConfigSpace.builder(BASE)
                .vary("train_batch_size.value", new DiscreteParameterSpace<>(1)).build();
        through.collectLeaves().forEach(l -> l.setIndices(0));
        e = assertThrows(IllegalArgumentException.class, () -> through.getValue(new double[] {0.0}));
        assertTrue(e.getMessage().startsWith("train_batch_size.value: the base config's train_batch_size is number"
                + " 32, not an object"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeepSpeedConfigSpace.builder("[1]"));
        assertTrue(e.getMessage().contains("not a JSON object"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeepSpeedConfigSpace.logUniform(0, 1));
        assertTrue(e.getMessage().contains("use 0 < min < max"), e.getMessage());
    }
}
