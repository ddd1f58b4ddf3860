package io.ds4j.zero.stage3;

import io.ds4j.zero.offload.SubGroups;
import java.util.ArrayList;
import java.util.List;

/**
 * DeepSpeed's {@code sub_group_size} at stage 3: a rank's owned fp32 master elements, parameter after parameter in flat
 * order, read as one partition and cut into {@link SubGroups} of at most {@code sub_group_size} elements, which the
 * optimizer steps one after the other. A sub-group is a list of {@link Segment}s (a parameter's owned elements may be
 * split across two sub-groups, and a sub-group may span several parameters); every per-step temporary (the
 * mixed-precision unscaled gradient, the fused kernel's master and gradient staging) is sized by the largest one.
 * Pure.
 */
public final class SubGroupPlan {
    /**
     * One parameter's part of a sub-group.
     *
     * @param piece  the parameter (its index in flat order)
     * @param from   first owned element of the parameter in this segment
     * @param length elements of the segment
     * @param at     where the segment starts in the sub-group's staging
     */
    public record Segment(int piece, int from, int length, int at) { }

    private final List<List<Segment>> groups = new ArrayList<>();
    private final int largest;

    /**
     * @param owned        owned elements of each parameter, in flat order (0 for a parameter the rank owns none of)
     * @param subGroupSize {@code sub_group_size}; values below 1 read as 1
     */
    public SubGroupPlan(int[] owned, long subGroupSize) {
        long total = 0;
        for (int n : owned) {
            total += n;
        }
        SubGroups split = new SubGroups(total, Math.max(1, subGroupSize));
        int piece = 0;
        int from = 0;
        for (int g = 0; g < split.count(); g++) {
            List<Segment> segments = new ArrayList<>();
            int at = 0;
            int left = split.length(g);
            while (left > 0) {
                while (from == owned[piece]) {
                    piece++;
                    from = 0;
                }
                int take = Math.min(left, owned[piece] - from);
                segments.add(new Segment(piece, from, take, at));
                from += take;
                at += take;
                left -= take;
            }
            groups.add(List.copyOf(segments));
        }
        this.largest = split.largest();
    }

    /** The sub-groups, in the order the optimizer steps them. */
    public List<List<Segment>> groups() {
        return groups;
    }

    /** Elements of the largest sub-group (0 when the rank owns nothing): the size of every per-step temporary. */
    public int largest() {
        return largest;
    }

    /** Elements of a sub-group. */
    public static int length(List<Segment> group) {
        Segment last = group.get(group.size() - 1);
        return last.at() + last.length();
    }
}
