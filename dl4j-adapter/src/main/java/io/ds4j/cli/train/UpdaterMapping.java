package io.ds4j.cli.train;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.OptimizerSection;
import io.ds4j.config.SchedulerSection;
import io.ds4j.schedules.DeepSpeedSchedule;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.ScheduleConfigException;
import io.ds4j.schedules.Schedules;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Turns a DeepSpeed {@code optimizer} section (and its {@code scheduler}) into the DL4J updater the network is built
 * with. Supported: {@code Adam}, {@code AdamW} (decoupled weight decay; {@code Adam} too unless
 * {@code adam_w_mode: false}, as in DeepSpeed) and {@code SGD} without momentum; the five DeepSpeed schedules through
 * {@link DeepSpeedSchedule}. Anything else is refused with the key, the value and what to use instead.
 */
public final class UpdaterMapping {
    /** Adam params that select an implementation only and do not change the numbers. */
    private static final Set<String> ADAM_IGNORED = Set.of("torch_adam", "fused", "fp32_optimizer_states");
    private static final Set<String> ADAM_KEYS = Set.of("lr", "betas", "eps", "weight_decay", "adam_w_mode",
            "bias_correction", "amsgrad");
    /** DeepSpeed's (torch's) Adam defaults. */
    private static final double LR = 1e-3;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    /**
     * A DL4J updater with the weight decay that goes with it.
     *
     * @param updater the updater, its lr schedule set when the file has a scheduler
     * @param weightDecay the weight decay coefficient (0: none)
     * @param decoupled true: DL4J WeightDecay with lr (AdamW); false: L2 added to the gradient (torch Adam)
     * @param description a one-line description for the run's header
     */
    public record Mapped(IUpdater updater, double weightDecay, boolean decoupled, String description) {
    }

    private UpdaterMapping() {
    }

    /**
     * @param config the parsed configuration
     * @return the updater for the network; DL4J's default Adam (lr 1e-3) when the file has no optimizer
     * @throws DeepSpeedConfigException naming the key that cannot be mapped
     */
    public static Mapped from(DeepSpeedConfig config) {
        if (config.optimizer().isEmpty()) {
            ISchedule schedule = schedule(config, LR);
            return new Mapped(adam(LR, BETA1, BETA2, EPS, schedule), 0, true,
                    "Adam lr=" + LR + " (no optimizer section: DeepSpeed's Adam defaults)" + suffix(config));
        }
        OptimizerSection opt = config.optimizer().get();
        String type = opt.type().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "adam", "adamw" -> adamFrom(config, opt, type.equals("adamw"));
            case "sgd" -> sgdFrom(config, opt);
            default -> throw new DeepSpeedConfigException("optimizer.type", "\"" + opt.type() + "\" has no DL4J"
                    + " counterpart in ds4j train yet; use \"Adam\", \"AdamW\" or \"SGD\"");
        };
    }

    private static Mapped adamFrom(DeepSpeedConfig config, OptimizerSection opt, boolean adamW) {
        Map<String, Object> p = opt.params();
        for (String k : p.keySet()) {
            if (!ADAM_KEYS.contains(k) && !ADAM_IGNORED.contains(k)) {
                throw new DeepSpeedConfigException("optimizer.params." + k, "is not supported by ds4j train's DL4J"
                        + " Adam; remove it (supported: " + ADAM_KEYS + ")");
            }
        }
        require(p, "bias_correction", true);
        require(p, "amsgrad", false);
        double lr = number(p, "lr", LR);
        double[] betas = betas(p);
        double eps = number(p, "eps", EPS);
        double wd = number(p, "weight_decay", 0.0);
        boolean decoupled = adamW || !Boolean.FALSE.equals(p.get("adam_w_mode"));
        IUpdater u = adam(lr, betas[0], betas[1], eps, schedule(config, lr));
        String desc = (decoupled ? "AdamW" : "Adam") + " lr=" + lr + " betas=(" + betas[0] + ", " + betas[1]
                + ") eps=" + eps + " weight_decay=" + wd + suffix(config);
        return new Mapped(u, wd, decoupled, desc);
    }

    private static Mapped sgdFrom(DeepSpeedConfig config, OptimizerSection opt) {
        Map<String, Object> p = opt.params();
        for (String k : p.keySet()) {
            boolean zeroOk = Set.of("momentum", "dampening", "weight_decay").contains(k) && number(p, k, 0) == 0;
            if (!k.equals("lr") && !k.equals("nesterov") && !zeroOk) {
                throw new DeepSpeedConfigException("optimizer.params." + k, "= " + p.get(k) + " is not supported"
                        + " by ds4j train's DL4J SGD (plain SGD only); remove it or use Adam");
            }
        }
        double lr = number(p, "lr", LR);
        ISchedule s = schedule(config, lr);
        IUpdater u = s == null ? new Sgd(lr) : new Sgd(s);
        return new Mapped(u, 0, false, "SGD lr=" + lr + suffix(config));
    }

    private static IUpdater adam(double lr, double b1, double b2, double eps, ISchedule schedule) {
        Adam.Builder b = Adam.builder().learningRate(lr).beta1(b1).beta2(b2).epsilon(eps);
        if (schedule != null) {
            b.learningRateSchedule(schedule);
        }
        return b.build();
    }

    private static ISchedule schedule(DeepSpeedConfig config, double optimizerLr) {
        if (config.scheduler().isEmpty()) {
            return null;
        }
        SchedulerSection s = config.scheduler().get();
        LrSchedule lr;
        try {
            lr = Schedules.create(s.type(), s.params(), optimizerLr);
        } catch (ScheduleConfigException e) {
            throw new DeepSpeedConfigException(e.key().equals("type") ? "scheduler.type"
                    : "scheduler.params." + e.key(), e.detail(), e);
        }
        if (lr.hasMomentum()) {
            throw new DeepSpeedConfigException("scheduler.params.cycle_momentum", "true needs a momentum schedule,"
                    + " which DL4J's Adam and SGD do not take; set it to false");
        }
        return DeepSpeedSchedule.lr(lr);
    }

    private static String suffix(DeepSpeedConfig config) {
        return config.scheduler().map(s -> ", schedule " + s.type()).orElse(", constant lr");
    }

    private static void require(Map<String, Object> p, String key, boolean expected) {
        Object v = p.get(key);
        if (v != null && !Boolean.valueOf(expected).equals(v)) {
            throw new DeepSpeedConfigException("optimizer.params." + key, "= " + v + " is not supported by DL4J's"
                    + " Adam; use " + expected + " or remove the key");
        }
    }

    private static double number(Map<String, Object> p, String key, double fallback) {
        Object v = p.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new DeepSpeedConfigException("optimizer.params." + key, "= " + v + " must be a number here (\"auto\""
                + " is resolved only by integrations that own an optimizer); write the value");
    }

    private static double[] betas(Map<String, Object> p) {
        Object v = p.get("betas");
        if (v == null) {
            return new double[] {BETA1, BETA2};
        }
        List<?> list = (List<?>) v;
        return new double[] {((Number) list.get(0)).doubleValue(), ((Number) list.get(1)).doubleValue()};
    }
}
