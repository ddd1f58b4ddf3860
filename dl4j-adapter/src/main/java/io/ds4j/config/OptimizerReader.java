package io.ds4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code optimizer}. Names follow DeepSpeed's lookup: its own optimizers match case-insensitively
 * ({@code adam}, {@code adamw}, {@code lamb}, {@code adagrad}, {@code lion}, the 1-bit ones, the Mu* and Muon ones),
 * {@code torch.optim} classes match exactly ({@code SGD}, ...). ds4j implements Adam, AdamW, Lamb, Adagrad, Lion and
 * SGD; it refuses the 1-bit optimizers and the rest with an error naming {@code optimizer.type}. Params are checked
 * by name and type for each implemented optimizer ({@link OptimizerParams}).
 */
final class OptimizerReader {
    static final String KEY = "optimizer";
    /** DeepSpeed's own optimizers that ds4j implements, by lower-case name. */
    static final Set<String> IMPLEMENTED = Set.of("adam", "adamw", "lamb", "adagrad", "lion");
    private static final Set<String> ONE_BIT = Set.of("onebitadam", "zerooneadam", "onebitlamb");
    private static final Set<String> OTHER_DEEPSPEED = Set.of("muadam", "muadamw", "musgd", "muon");
    private static final Set<String> OTHER_TORCH = Set.of("Adadelta", "Adafactor", "Adamax", "ASGD", "LBFGS",
            "NAdam", "RAdam", "RMSprop", "Rprop", "SparseAdam");
    /** Optimizers DeepSpeed's ZeRO accepts without {@code zero_allow_untested_optimizer}. */
    private static final Set<String> ZERO_TESTED = Set.of("adam", "adamw", "adagrad", "lion");

    private OptimizerReader() {
    }

    static Optional<OptimizerSection> read(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        if (root.get(KEY) == null) {
            return Optional.empty();
        }
        Section s = Section.of(KEY, root.get(KEY), ctx, false);
        s.know("type", "params", "legacy_fusion");
        s.rejectUnknown();
        if (!s.present("type") || s.value("type") == null) {
            // DeepSpeed's get_optimizer_name: no type means no config optimizer (the client's is used).
            ctx.warn(KEY, "no \"type\", so the section is ignored and the network's own updater is the optimizer "
                    + "(DeepSpeed ignores it too); add e.g. \"type\": \"AdamW\" to use it");
            printed.put(KEY, root.get(KEY));
            return Optional.empty();
        }
        String type = s.string("type", null);
        String kind = classify(s, type);
        Section p = s.child("params", false).allowAuto("lr", "betas", "eps", "weight_decay");
        Map<String, Object> params = OptimizerParams.read(p, kind);
        s.put("params", p.out());
        s.bool("legacy_fusion", false);
        s.inert(Section.NO_EFFECT, "legacy_fusion");
        s.rejectUnknown();
        printed.put(KEY, s.out());
        return Optional.of(new OptimizerSection(type, params));
    }

    /** The implementation key ({@code adam}, ..., {@code sgd}) of a type name, or an error naming the type. */
    private static String classify(Section s, String type) {
        String lower = type.toLowerCase(Locale.ROOT);
        if (IMPLEMENTED.contains(lower)) {
            return lower;
        }
        if (type.equals("SGD")) {
            return "sgd";
        }
        if (ONE_BIT.contains(lower)) {
            throw s.error("type", "1-bit optimizer '" + type + "' compresses gradients, which changes the training "
                    + "math, and ds4j does not implement it; use \"Adam\" or \"Lamb\" instead");
        }
        if (OTHER_DEEPSPEED.contains(lower) || OTHER_TORCH.contains(type)) {
            throw s.error("type", "optimizer '" + type + "' is not implemented by ds4j; use one of Adam, AdamW, "
                    + "Lamb, Adagrad, Lion, SGD");
        }
        List<String> names = new ArrayList<>(List.of("Adam", "AdamW", "Lamb", "Adagrad", "Lion", "SGD"));
        String hint = DidYouMean.hint(type, names);
        throw s.error("type", "unknown optimizer '" + type + "' (neither a DeepSpeed nor a torch.optim "
                + "optimizer);" + (hint.isEmpty() ? " use one of " + names : hint));
    }

    /** DeepSpeed's rule: under ZeRO, an optimizer outside its tested list needs zero_allow_untested_optimizer. */
    static void checkZeroSupport(OptimizerSection opt, int stage, boolean allowUntested) {
        String lower = opt.type().toLowerCase(Locale.ROOT);
        if (stage > 0 && !ZERO_TESTED.contains(lower) && !allowUntested) {
            throw new DeepSpeedConfigException(KEY + ".type", "optimizer '" + opt.type() + "' is untested with "
                    + "ZeRO (stage " + stage + "); add \"zero_allow_untested_optimizer\": true at the top level, "
                    + "or use Adam, AdamW, Adagrad or Lion");
        }
    }
}
