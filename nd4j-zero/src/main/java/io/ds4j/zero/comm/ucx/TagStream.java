package io.ds4j.zero.comm.ucx;

/**
 * A diagnostic beside the collectives: rank 0 streams messages to rank 1 over the data endpoint, all posted at once,
 * the way {@code ucx_perftest -t tag_bw} does, so that jucx's own ceiling can be measured through the same
 * connections, buffers and progress loop the collectives use.
 */
final class TagStream {
    private TagStream() {
    }

    /**
     * Streams {@code messages} messages of {@code bytes}; ranks other than 0 and 1 take no part.
     *
     * @return the seconds rank 0 waited until every message was delivered (its sends complete once rank 1 has them),
     *         0 on the other ranks
     */
    static double run(UcxLink link, long seq, long bytes, int messages) {
        int rank = link.rank();
        if (rank > 1 || link.worldSize() < 2) {
            return 0;
        }
        int check = Tags.shapeCheck(-3, bytes, messages, 0);
        String op = "tagStream(bytes=" + bytes + ", messages=" + messages + ")";
        java.nio.ByteBuffer b = UcxLink.direct(bytes); // a diagnostic's own buffer, not the collectives' staging
        long buffer = org.openucx.jucx.UcxUtils.getAddress(b);
        // both buffers allocated (and zeroed) before the clock starts: rank 1 allocates after the caller's barrier too
        Round ready = link.round(op, check, 1, seq);
        ready.recv(1 - rank, 0, 0);
        ready.send(1 - rank, 0, 0);
        ready.await();
        Round round = link.round(op, check, 0, seq);
        long t0 = System.nanoTime();
        for (int m = 0; m < messages; m++) {
            if (rank == 0) {
                round.send(1, buffer, bytes);
            } else {
                round.recv(0, buffer, bytes);
            }
        }
        round.await();
        java.lang.ref.Reference.reachabilityFence(b);
        return rank == 0 ? (System.nanoTime() - t0) / 1e9 : 0;
    }
}
