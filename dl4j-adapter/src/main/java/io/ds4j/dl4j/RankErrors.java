package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.zero.comm.RankThreads;
import io.ds4j.zero.comm.Ranks;
import java.util.List;

/**
 * What the caller of a group of ranks sees when one of them fails. A configuration or input error
 * ({@link DeepSpeedConfigException}, {@link IllegalArgumentException}: a key the engine cannot honour, an unusable
 * {@code nvme_path}, a batch that cannot be split) raised inside a rank reaches the caller as that error, its message
 * naming the key or the input, so that the CLI reports it as such ({@code error: <json.path>: ...}, exit status 2) at
 * every stage; the other ranks' failures (usually the aborts of their collectives) are attached to it as suppressed
 * exceptions. Anything else stays a {@link Ranks.RankFailedException} naming the rank.
 */
public final class RankErrors {

    private RankErrors() {
    }

    /**
     * @param e a rank group's failure
     * @return its cause when that is a configuration or input error, else {@code e}
     */
    public static RuntimeException unwrap(Ranks.RankFailedException e) {
        Throwable cause = e.getCause();
        if (cause instanceof DeepSpeedConfigException || cause instanceof IllegalArgumentException) {
            RuntimeException user = (RuntimeException) cause;
            for (Throwable other : e.getSuppressed()) {
                user.addSuppressed(other);
            }
            return user;
        }
        return e;
    }

    /** {@link Ranks#run(List, Ranks.Body)} with a failure {@linkplain #unwrap unwrapped}. */
    public static <T> List<T> run(List<? extends io.ds4j.zero.comm.Collectives> group, Ranks.Body<T> body) {
        try {
            return Ranks.run(group, body);
        } catch (Ranks.RankFailedException e) {
            throw unwrap(e);
        }
    }

    /** {@link RankThreads#run(Ranks.Body)} with a failure {@linkplain #unwrap unwrapped}. */
    public static <T> List<T> run(RankThreads threads, Ranks.Body<T> body) {
        try {
            return threads.run(body);
        } catch (Ranks.RankFailedException e) {
            throw unwrap(e);
        }
    }
}
