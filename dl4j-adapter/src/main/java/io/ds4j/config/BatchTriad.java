package io.ds4j.config;

import java.util.Map;
import java.util.OptionalLong;

/**
 * The three batch keys as written (each absent, {@code "auto"}, or a number) and DeepSpeed's resolution of them
 * for a world size: {@code DeepSpeedConfig._set_batch_related_parameters} (derive the missing ones with floor
 * division) followed by {@code _batch_assertion} (each &gt; 0, then {@code train == micro * gas * world}). A value
 * that is {@code "auto"} is known later; anything derived from it stays {@code "auto"} and only the checks whose
 * operands are all known are made.
 *
 * <p>Error paths: a non-positive value names its own key (also when it was derived, e.g. a micro batch that floors
 * to 0); "neither train_batch_size nor train_micro_batch_size_per_gpu" and the product mismatch name
 * {@code train_batch_size}.
 */
final class BatchTriad {
    static final String TRAIN = "train_batch_size";
    static final String MICRO = "train_micro_batch_size_per_gpu";
    static final String GAS = "gradient_accumulation_steps";

    /** Absent: the key is not in the file (or is null). */
    private static final Long ABSENT = null;
    private static final long AUTO = Long.MIN_VALUE;

    private final Long train;
    private final Long micro;
    private final Long gas;

    private BatchTriad(Long train, Long micro, Long gas) {
        this.train = train;
        this.micro = micro;
        this.gas = gas;
    }

    /** Reads and type-checks the three top-level keys and applies the world-size-independent rules. */
    static BatchTriad read(Section top) {
        top.allowAuto(TRAIN, MICRO, GAS);
        BatchTriad t = new BatchTriad(one(top, TRAIN), one(top, MICRO), one(top, GAS));
        if (t.train == ABSENT && t.micro == ABSENT) {
            throw new DeepSpeedConfigException(TRAIN, "neither train_batch_size nor train_micro_batch_size_per_gpu "
                    + "is given (DeepSpeed needs at least one)" + misspelt(top) + "; add "
                    + "\"train_micro_batch_size_per_gpu\": <samples per rank> or \"train_batch_size\": <samples per "
                    + "step>, or \"auto\" to take the iterator's batch size");
        }
        return t;
    }

    /** ", but 'x' looks like a misspelt 'y'" when a top-level key is close to a batch key. */
    private static String misspelt(Section top) {
        for (String key : top.raw().keySet()) {
            java.util.Optional<String> near = DidYouMean.closest(key, java.util.List.of(TRAIN, MICRO, GAS));
            if (near.isPresent() && !near.get().equals(key)) {
                return ", but '" + key + "' looks like a misspelt '" + near.get() + "'";
            }
        }
        return "";
    }

    private static Long one(Section top, String key) {
        Object v = top.value(key);
        if (v == null) {
            return ABSENT;
        }
        if ("auto".equals(v)) {
            top.context().auto(key);
            return AUTO;
        }
        return top.toLong(key, v, Long.MIN_VALUE / 4, Long.MAX_VALUE / 4);
    }

    /** The triad with {@code "auto"} micro batch replaced by the iterator's, and other autos derived. */
    BatchTriad withIteratorBatch(long iteratorBatch) {
        Long m = micro != null && micro == AUTO ? (Long) iteratorBatch : micro;
        Long tr = train != null && train == AUTO ? ABSENT : train;
        Long g = gas != null && gas == AUTO ? ABSENT : gas;
        if (tr == ABSENT && m == ABSENT) {
            m = iteratorBatch;
        }
        return new BatchTriad(tr, m, g);
    }

    /**
     * The triad when the iterator yields whole global batches: an {@code "auto"} (or absent) train batch size takes
     * the iterator's batch size, {@code "auto"} micro batch and accumulation are left to DeepSpeed's derivation.
     */
    BatchTriad withGlobalBatch(long globalBatch) {
        Long tr = train == ABSENT || train == AUTO ? (Long) globalBatch : train;
        Long m = micro != null && micro == AUTO ? ABSENT : micro;
        Long g = gas != null && gas == AUTO ? ABSENT : gas;
        return new BatchTriad(tr, m, g);
    }

    /** DeepSpeed's resolution for {@code worldSize} ranks. */
    ResolvedBatch resolve(int worldSize) {
        if (worldSize < 1) {
            throw new DeepSpeedConfigException("", "world size must be >= 1, got " + worldSize
                    + "; pass the number of data-parallel ranks");
        }
        long w = worldSize;
        Long t = train;
        Long m = micro;
        Long g = gas;
        String derived = "";
        if (t != ABSENT && m != ABSENT && g != ABSENT) {
            derived = "";
        } else if (t != ABSENT && m != ABSENT) {
            g = div(div(t, m), w);
            derived = GAS + " = " + TRAIN + " // " + MICRO + " // world_size = " + fmt(t) + " // " + fmt(m)
                    + " // " + w + " = " + fmt(g);
        } else if (t != ABSENT && g != ABSENT) {
            m = div(div(t, w), g);
            derived = MICRO + " = " + TRAIN + " // world_size // " + GAS + " = " + fmt(t) + " // " + w + " // "
                    + fmt(g) + " = " + fmt(m);
        } else if (m != ABSENT && g != ABSENT) {
            t = mul(mul(m, g), w);
        } else if (t != ABSENT) {
            g = 1L;
            m = div(t, w);
            derived = MICRO + " = " + TRAIN + " // world_size = " + fmt(t) + " // " + w + " = " + fmt(m)
                    + " (with " + GAS + " = 1)";
        } else {
            t = mul(m, w);
            g = 1L;
        }
        check(t, m, g, w, derived);
        return new ResolvedBatch(opt(t), opt(m), opt(g), worldSize);
    }

    private void check(Long t, Long m, Long g, long w, String derived) {
        positive(TRAIN, t, derived, "");
        positive(MICRO, m, derived, known(g) && known(t) ? "set train_batch_size to at least "
                + "gradient_accumulation_steps * world_size = " + g + " * " + w + " = " + exact(g, w)
                + ", or use fewer ranks" : "");
        positive(GAS, g, derived, known(m) && known(t) ? "set train_batch_size to a multiple of "
                + "train_micro_batch_size_per_gpu * world_size = " + m + " * " + w + " = " + exact(m, w)
                + ", or lower train_micro_batch_size_per_gpu to at most train_batch_size // world_size = "
                + Math.floorDiv(t, w) : "");
        if (known(t) && known(m) && known(g) && t != exact(exact(m, g), w)) {
            long unit = exact(m, w);
            long lower = Math.max(unit, Math.floorDiv(t, unit) * unit);
            long upper = Math.max(lower + unit, (Math.floorDiv(t, unit) + 1) * unit); // two different multiples
            throw new DeepSpeedConfigException(TRAIN, "train_batch_size must equal train_micro_batch_size_per_gpu "
                    + "* gradient_accumulation_steps * world_size, but " + t + " != " + m + " * " + g + " * " + w
                    + " = " + (m * g * w) + (derived.isEmpty() ? "" : " (" + derived + ")") + "; set "
                    + "train_batch_size to " + (m * g * w) + ", or to a multiple of " + MICRO + " * world_size = "
                    + unit + " such as " + lower + " or " + upper + " and leave " + GAS + " out");
        }
    }

    private void positive(String key, Long v, String derived, String fix) {
        if (!known(v) || v > 0) {
            return;
        }
        if (!derived.startsWith(key)) {
            throw new DeepSpeedConfigException(key, key + " is " + v + ", but it must be > 0; use a positive "
                    + "number");
        }
        throw new DeepSpeedConfigException(key, derived + ", but it must be > 0; " + fix);
    }

    /** Multiplication that refuses to overflow (a batch product beyond 2^63 is a configuration error). */
    private static long exact(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new DeepSpeedConfigException(TRAIN, "the batch sizes are too large: " + a + " * " + b
                    + " overflows a 64-bit integer; use realistic batch sizes");
        }
    }

    /** The raw value as written, for printing: Long, "auto", or null when absent. */
    static Object raw(Long v) {
        return v == null ? null : v == AUTO ? "auto" : (Object) v;
    }

    Map<String, Object> rawValues() {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        m.put(TRAIN, raw(train));
        m.put(MICRO, raw(micro));
        m.put(GAS, raw(gas));
        return m;
    }

    private static boolean known(Long v) {
        return v != null && v != AUTO;
    }

    private static OptionalLong opt(Long v) {
        return known(v) ? OptionalLong.of(v) : OptionalLong.empty();
    }

    private static Long div(Long a, long b) {
        return known(a) && b != AUTO ? (Long) Math.floorDiv(a, b) : (Long) AUTO;
    }

    private static Long div(Long a, Long b) {
        return known(a) && known(b) ? (b == 0 ? (Long) AUTO : (Long) Math.floorDiv(a, (long) b)) : (Long) AUTO;
    }

    private static Long mul(Long a, long b) {
        return known(a) ? (Long) exact(a, b) : (Long) AUTO;
    }

    private static Long mul(Long a, Long b) {
        return known(a) && known(b) ? (Long) exact(a, b) : (Long) AUTO;
    }

    private static String fmt(Long v) {
        return known(v) ? String.valueOf(v) : "auto";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchTriad b && java.util.Objects.equals(train, b.train)
                && java.util.Objects.equals(micro, b.micro) && java.util.Objects.equals(gas, b.gas);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(train, micro, gas);
    }
}
