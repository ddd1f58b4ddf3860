package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the messages of the engine's logger ({@code io.ds4j.dl4j.ZeroTrainer}) while open. */
final class CapturedLog extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger(ZeroTrainer.class.getName());
    /** The messages, in order. */
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    CapturedLog() {
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
        lines.add(r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
