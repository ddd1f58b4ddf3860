package io.ds4j.zero.comm;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * An immutable snapshot of what a rank (or a whole group, when summed) moved, per {@link CollectiveKind}.
 * Elements are the ring volume defined in the package documentation: elements this rank receives when the collective
 * runs as a ring. Per rank, for {@code N} ranks:
 * <ul>
 *   <li>all-reduce of {@code n} elements: {@code 2 * (n - s_r)} where {@code s_r} is the size of segment r in the even
 *       split {@code [r*n/N, (r+1)*n/N)}; summed over ranks exactly {@code 2 (N-1) n};</li>
 *   <li>reduce-scatter and all-gather with blocks of {@code L}: {@code (N-1) L};</li>
 *   <li>broadcast of {@code n}: {@code n} on every rank but the root;</li>
 *   <li>scalar all-reduce: {@code N-1} values; barrier: nothing.</li>
 * </ul>
 * Bytes are elements times the element size (4 for float vectors, 8 for scalars, which travel as doubles).
 *
 * @param byKind counters per kind; kinds never used are absent
 */
public record CommStats(Map<CollectiveKind, Counter> byKind) {
    /** Counters of one kind. @param calls collectives entered @param elements ring volume @param bytes in bytes */
    public record Counter(long calls, long elements, long bytes) {
        /** The element-wise sum. */
        public Counter plus(Counter o) {
            return new Counter(calls + o.calls, elements + o.elements, bytes + o.bytes);
        }
    }

    /** A defensive, immutable copy of {@code byKind}. */
    public CommStats {
        EnumMap<CollectiveKind, Counter> copy = new EnumMap<>(CollectiveKind.class);
        copy.putAll(byKind);
        byKind = Collections.unmodifiableMap(copy);
    }

    /** Nothing moved yet. */
    public static CommStats empty() {
        return new CommStats(Map.of());
    }

    /** The counter of one kind (zeros when unused). */
    public Counter of(CollectiveKind kind) {
        return byKind.getOrDefault(kind, new Counter(0, 0, 0));
    }

    /** Total bytes over all kinds. */
    public long totalBytes() {
        return byKind.values().stream().mapToLong(Counter::bytes).sum();
    }

    /** Total elements over all kinds. */
    public long totalElements() {
        return byKind.values().stream().mapToLong(Counter::elements).sum();
    }

    /** The kind-wise sum of two snapshots, e.g. to total a group. */
    public CommStats plus(CommStats other) {
        EnumMap<CollectiveKind, Counter> sum = new EnumMap<>(CollectiveKind.class);
        sum.putAll(byKind);
        other.byKind.forEach((k, c) -> sum.merge(k, c, Counter::plus));
        return new CommStats(sum);
    }

    /** The kind-wise difference {@code this - earlier}, e.g. the volume of one step. */
    public CommStats minus(CommStats earlier) {
        EnumMap<CollectiveKind, Counter> diff = new EnumMap<>(CollectiveKind.class);
        byKind.forEach((k, c) -> {
            Counter e = earlier.of(k);
            diff.put(k, new Counter(c.calls - e.calls, c.elements - e.elements, c.bytes - e.bytes));
        });
        return new CommStats(diff);
    }
}
