package io.ds4j.zero.comm.ucx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.CollectivesConformance;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance suite over UCX: the N ranks are threads of this JVM, each with its own UCX context, worker and
 * endpoints, so every byte goes through UCX (shared memory or TCP) exactly as between processes. Separate processes
 * are tested in the adapter's distributed tests.
 */
class UcxCollectivesTest extends CollectivesConformance {
    private final List<List<UcxCollectives>> open = new ArrayList<>();

    @BeforeAll
    static void ucxLoads() {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "UCX tests skipped: libucp.so.0 does not load ("
                + UcxLibrary.unavailableReason().orElse("") + "); " + UcxLibrary.INSTALL_HINT);
    }

    @Override
    protected List<? extends Collectives> newGroup(int worldSize, Duration timeout) {
        List<UcxCollectives> group = UcxGroups.inThisJvm(worldSize, timeout);
        open.add(group);
        return group;
    }

    @AfterEach
    void closeGroups() {
        open.forEach(UcxGroups::close);
        open.clear();
    }
}
