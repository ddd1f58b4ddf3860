package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * {@link SubGroupPlan}: a rank's owned elements, parameter after parameter, cut into sub-groups of at most
 * {@code sub_group_size} elements (all full but the last, as DeepSpeed's flat partition split), each element of each
 * parameter in exactly one segment, in flat order.
 */
class SubGroupPlanTest {

    @Property(tries = 200)
    void segmentsTileTheOwnedElementsInOrder(@ForAll @Size(max = 6) List<@IntRange(max = 40) Integer> owned,
                                             @ForAll @IntRange(min = 1, max = 50) int size) {
        int[] n = owned.stream().mapToInt(Integer::intValue).toArray();
        SubGroupPlan plan = new SubGroupPlan(n, size);
        int total = owned.stream().mapToInt(Integer::intValue).sum();
        assertEquals((total + size - 1) / size, plan.groups().size(), "ceil(total / size) sub-groups");
        assertEquals(Math.min(size, total), plan.largest());
        int piece = 0;
        int from = 0;
        for (int g = 0; g < plan.groups().size(); g++) {
            List<SubGroupPlan.Segment> group = plan.groups().get(g);
            int at = 0;
            for (SubGroupPlan.Segment s : group) {
                while (from == n[piece]) {
                    piece++;
                    from = 0;
                }
                assertEquals(new SubGroupPlan.Segment(piece, from, s.length(), at), s, "next elements in flat order");
                assertTrue(s.length() > 0 && from + s.length() <= n[piece], "inside the parameter: " + s);
                from += s.length();
                at += s.length();
            }
            int expected = g < plan.groups().size() - 1 ? size : total - g * size;
            assertEquals(expected, SubGroupPlan.length(group), "sub-group " + g);
        }
        assertEquals(total, plan.groups().stream().mapToInt(SubGroupPlan::length).sum(), "every element once");
    }

    /** Hand-cut example: owned 5, 0, 4 with size 3 gives [0:0-3], [0:3-5, 2:0-1], [2:1-4]. */
    @Test
    void crossesParameterBoundaries() {
        SubGroupPlan plan = new SubGroupPlan(new int[] {5, 0, 4}, 3);
        assertEquals(List.of(
                List.of(new SubGroupPlan.Segment(0, 0, 3, 0)),
                List.of(new SubGroupPlan.Segment(0, 3, 2, 0), new SubGroupPlan.Segment(2, 0, 1, 2)),
                List.of(new SubGroupPlan.Segment(2, 1, 3, 0))), plan.groups());
        assertEquals(0, new SubGroupPlan(new int[] {0, 0}, 3).largest(), "a rank owning nothing steps nothing");
        assertEquals(1, new SubGroupPlan(new int[] {2}, 0).largest(), "sub_group_size 0 reads as 1");
    }
}
