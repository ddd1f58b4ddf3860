package io.ds4j.config;

import io.ds4j.zero.config.AdagradConfig;
import io.ds4j.zero.config.AdamConfig;
import io.ds4j.zero.config.LambConfig;
import io.ds4j.zero.config.LionConfig;
import io.ds4j.zero.config.OptimizerConfig;
import io.ds4j.zero.config.SgdConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a validated {@link OptimizerSection} into concrete hyper-parameters: given values as written, {@code "auto"}
 * values from the caller (the network's updater), missing values from the class DeepSpeed would instantiate.
 */
final class OptimizerResolver {
    private final OptimizerSection section;
    private final Map<String, Object> autoValues;

    private OptimizerResolver(OptimizerSection section, Map<String, Object> autoValues) {
        this.section = section;
        this.autoValues = autoValues;
    }

    static OptimizerConfig resolve(OptimizerSection section, Map<String, Object> autoValues) {
        OptimizerResolver r = new OptimizerResolver(section, autoValues == null ? Map.of() : autoValues);
        try {
            return r.build();
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage() == null ? "invalid value" : e.getMessage();
            String key = msg.split(" ", 2)[0];
            String path = key.startsWith("optimizer.") ? key : OptimizerReader.KEY + ".params";
            throw new DeepSpeedConfigException(path, msg.substring(Math.min(msg.length(), key.length())).trim()
                    + "; fix the value in the config or in the network's updater", e);
        }
    }

    private OptimizerConfig build() {
        String type = section.type();
        String kind = type.equals("SGD") ? "sgd" : type.toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "adam", "adamw" -> adam(kind.equals("adamw"));
            case "sgd" -> sgd();
            case "adagrad" -> adagrad();
            case "lamb" -> lamb();
            case "lion" -> lion();
            default -> throw new DeepSpeedConfigException(OptimizerReader.KEY + ".type", "optimizer '" + type
                    + "' is not implemented by ds4j; use one of Adam, AdamW, Lamb, Adagrad, Lion, SGD");
        };
    }

    /** DeepSpeed: {@code effective_adam_w_mode = name == "adamw" or adam_w_mode}, adam_w_mode defaulting to true. */
    private AdamConfig adam(boolean typeIsAdamW) {
        AdamConfig d = AdamConfig.defaults();
        double[] b = betas(d.beta1(), d.beta2());
        boolean adamW = typeIsAdamW || bool("adam_w_mode", true);
        return new AdamConfig(num("lr", d.lr()), b[0], b[1], num("eps", d.eps()),
                num("weight_decay", d.weightDecay()), adamW, bool("bias_correction", d.biasCorrection()));
    }

    private SgdConfig sgd() {
        SgdConfig d = SgdConfig.defaults();
        return new SgdConfig(num("lr", d.lr()), num("momentum", d.momentum()), num("dampening", d.dampening()),
                num("weight_decay", d.weightDecay()), bool("nesterov", d.nesterov()));
    }

    private AdagradConfig adagrad() {
        AdagradConfig d = AdagradConfig.defaults();
        return new AdagradConfig(num("lr", d.lr()), num("lr_decay", d.lrDecay()),
                num("weight_decay", d.weightDecay()),
                num("initial_accumulator_value", d.initialAccumulatorValue()), num("eps", d.eps()));
    }

    private LambConfig lamb() {
        LambConfig d = LambConfig.defaults();
        double[] b = betas(d.beta1(), d.beta2());
        return new LambConfig(num("lr", d.lr()), b[0], b[1], num("eps", d.eps()),
                num("weight_decay", d.weightDecay()), bool("bias_correction", d.biasCorrection()),
                num("max_coeff", d.maxCoeff()), num("min_coeff", d.minCoeff()),
                bool("eps_inside_sqrt", d.epsInsideSqrt()));
    }

    private LionConfig lion() {
        LionConfig d = LionConfig.defaults();
        double[] b = betas(d.beta1(), d.beta2());
        return new LionConfig(num("lr", d.lr()), b[0], b[1], num("weight_decay", d.weightDecay()));
    }

    private Object value(String key) {
        Object v = section.params().get(key);
        if (!"auto".equals(v)) {
            return v;
        }
        Object given = autoValues.get(key);
        if (given == null) {
            throw new DeepSpeedConfigException(path(key), "is \"auto\" but no value was supplied for it; take it "
                    + "from the network's updater, or write a number in the config");
        }
        return given;
    }

    private double num(String key, double def) {
        Object v = value(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n)) {
            throw new DeepSpeedConfigException(path(key), "must be a number, got " + Repr.of(v)
                    + "; write a number");
        }
        return n.doubleValue();
    }

    private boolean bool(String key, boolean def) {
        Object v = value(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw new DeepSpeedConfigException(path(key), "must be true or false, got " + Repr.of(v)
                    + "; write true or false");
        }
        return b;
    }

    private double[] betas(double d1, double d2) {
        Object v = value("betas");
        if (v == null) {
            return new double[] {d1, d2};
        }
        if (v instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Number a && l.get(1) instanceof Number b) {
            return new double[] {a.doubleValue(), b.doubleValue()};
        }
        if (v instanceof double[] arr && arr.length == 2) {
            return arr.clone();
        }
        throw new DeepSpeedConfigException(path("betas"), "must be two numbers, got " + Repr.of(v)
                + "; write e.g. [0.9, 0.999]");
    }

    private static String path(String key) {
        return OptimizerReader.KEY + ".params." + key;
    }
}
