/**
 * How the flat vector is split among ranks: {@link io.ds4j.zero.shard.ShardLayout}, a pure value.
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>padded length</b>: the flat vector's length rounded up to a multiple of {@code worldSize * alignment},
 *       as DeepSpeed pads its flat fp16 buffer so that it divides evenly (stage 1/2 use an alignment of 2 elements so
 *       that each 16-bit partition starts 4-byte aligned).</li>
 *   <li><b>shard</b>: rank r's contiguous slice {@code [r * shardLength, (r+1) * shardLength)} of the padded vector;
 *       all shards have the same length. <b>owned range</b>: the part of the shard inside the real (unpadded)
 *       vector; only the last shards carry padding, and a shard may be all padding.</li>
 *   <li><b>bucket piece</b>: a run of elements at the same position in every shard, so one strided reduce-scatter or
 *       all-gather moves one bucket of every shard ({@link io.ds4j.zero.comm.Collectives}).</li>
 * </ul>
 */
package io.ds4j.zero.shard;
