package io.ds4j.zero.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Properties of {@link ShardLayout} for any length, world size and alignment, plus hand-checked examples. */
class ShardLayoutPropertiesTest {
    @Property
    void shardsAreEqualAlignedDisjointAndCoverThePaddedVector(@ForAll @LongRange(max = 5_000_000_000L) long length,
            @ForAll @IntRange(min = 1, max = 512) int world, @ForAll @IntRange(min = 1, max = 64) int align) {
        ShardLayout l = new ShardLayout(length, world, align);
        assertTrue(l.paddedLength() >= length);
        assertTrue(l.padding() < (long) world * align, "padding < worldSize * alignment");
        assertEquals(0, l.shardLength() % align);
        assertEquals(l.paddedLength(), l.shardLength() * world);
        long next = 0;
        long owned = 0;
        for (int r = 0; r < world; r++) {
            assertEquals(next, l.shard(r).offset(), "shards are contiguous and disjoint");
            next = l.shard(r).end();
            Range o = l.ownedRange(r);
            assertEquals(owned, Math.min(o.offset(), length), "owned ranges tile [0, length)");
            owned += o.length();
            assertEquals(l.shardLength(), o.length() + l.shardPadding(r));
        }
        assertEquals(l.paddedLength(), next);
        assertEquals(length, owned);
    }

    @Property
    void ownerOfAgreesWithShards(@ForAll @LongRange(min = 1, max = 1_000_000) long length,
            @ForAll @IntRange(min = 1, max = 64) int world, @ForAll @LongRange(max = 999_999) long probe) {
        ShardLayout l = new ShardLayout(length, world, 2);
        long index = probe % l.paddedLength();
        assertTrue(l.shard(l.ownerOf(index)).contains(index));
    }

    @Property
    void bucketsCoverTheShardInOrderAndRespectTheBucketSize(@ForAll @LongRange(max = 1_000_000) long length,
            @ForAll @IntRange(min = 1, max = 16) int world, @ForAll @IntRange(min = 1, max = 8) int align,
            @ForAll @LongRange(min = 1, max = 100_000) long bucket) {
        ShardLayout l = new ShardLayout(length, world, align);
        List<BucketPiece> pieces = l.shardBuckets(bucket);
        long at = 0;
        for (int i = 0; i < pieces.size(); i++) {
            BucketPiece p = pieces.get(i);
            assertEquals(i, p.index());
            assertEquals(at, p.shardOffset());
            assertTrue(p.length() > 0);
            assertTrue(p.totalElements(world) <= Math.max(bucket, (long) world * align));
            at += p.length();
        }
        assertEquals(l.shardLength(), at);
    }

    @Property
    void chunksTileTheRange(@ForAll @LongRange(max = 1_000_000) long offset,
            @ForAll @LongRange(max = 1_000_000) long length, @ForAll @LongRange(min = 1, max = 50_000) long bucket) {
        List<Range> chunks = ShardLayout.chunks(new Range(offset, length), bucket);
        long at = offset;
        for (Range c : chunks) {
            assertEquals(at, c.offset());
            assertTrue(c.length() > 0 && c.length() <= bucket);
            at = c.end();
        }
        assertEquals(offset + length, at);
    }

    @Test
    void deepSpeedStyleExample() {
        // 10 elements, 3 ranks, alignment 2: padded to ceil(10 / 6) * 6 = 12, shards of 4; rank 2 owns [8, 10).
        ShardLayout l = new ShardLayout(10, 3, 2);
        assertEquals(12, l.paddedLength());
        assertEquals(4, l.shardLength());
        assertEquals(new Range(8, 2), l.ownedRange(2));
        assertEquals(2, l.shardPadding(2));
        assertEquals(0, l.shardPadding(1));
        // 3 elements over 4 ranks: rank 3's shard is all padding.
        ShardLayout tiny = ShardLayout.of(3, 4);
        assertTrue(tiny.ownedRange(3).isEmpty());
        assertEquals(1, tiny.shardPadding(3));
        // a 10-element bucket over 3 ranks with alignment 2 moves pieces of 2 per shard: 4 -> [0,2), [2,4)
        assertEquals(List.of(new BucketPiece(0, 0, 2), new BucketPiece(1, 2, 2)), l.shardBuckets(10));
        assertEquals(new Range(6, 2), l.shardBuckets(10).get(1).flatRange(l, 1));
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ShardLayout(5, 0, 1));
        assertEquals("worldSize must be >= 1, got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ShardLayout(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ShardLayout(1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardLayout.of(4, 2).shard(2));
        assertThrows(IndexOutOfBoundsException.class, () -> ShardLayout.of(4, 2).ownerOf(4));
        assertThrows(IllegalArgumentException.class, () -> ShardLayout.of(4, 2).shardBuckets(0));
    }
}
