package io.ds4j.dl4j;

import io.ds4j.config.SchedulerSection;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.Schedules;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Puts a DeepSpeed {@code scheduler} into a network's DL4J updaters (no {@code optimizer} section): every updater
 * with a learning rate gets the schedule as its ND4J learning-rate schedule, which maps DL4J's iteration count
 * {@code i} to DeepSpeed's iteration {@code i - 1} (DeepSpeed's first update uses the value written at construction).
 * The schedule's optimizer lr (where DeepSpeed reads it, e.g. {@code WarmupLR} without {@code warmup_max_lr}) is the
 * first updater block's learning rate.
 */
final class ScheduleInstaller {

    private ScheduleInstaller() {
    }

    /** What was in place before, to put back. */
    private record Previous(IUpdater updater, double lr, ISchedule schedule) { }

    /**
     * @param section the scheduler section
     * @param optimizerLr the optimizer's learning rate
     * @return the schedule
     */
    static LrSchedule schedule(SchedulerSection section, double optimizerLr) {
        SchedulerSection resolved = section.withAutoResolved(optimizerLr, -1);
        return Schedules.create(resolved.type(), resolved.params(), optimizerLr);
    }

    /**
     * Installs the schedule into every updater with a learning rate.
     *
     * @param net the network
     * @param section the scheduler section
     * @return an action that restores the previous learning rates and schedules
     */
    static Runnable install(Model net, SchedulerSection section) {
        FlatLayout layout = FlatLayout.of(net);
        double lr = layout.blocks().isEmpty() ? Double.NaN : layout.blocks().get(0).updater().getLearningRate(0, 0);
        ISchedule schedule = schedule(section, lr).toLrSchedule();
        Map<IUpdater, Previous> seen = new IdentityHashMap<>();
        for (FlatLayout.Slot s : layout.slots()) {
            IUpdater u = s.layer().getConfig().getUpdaterByParam(s.name());
            if (u.hasLearningRate() && !seen.containsKey(u)) {
                seen.put(u, new Previous(u, u.getLearningRate(0, 0), currentSchedule(u)));
                u.setLrAndSchedule(u.getLearningRate(0, 0), schedule);
            }
        }
        List<Previous> undo = new ArrayList<>(seen.values());
        return () -> undo.forEach(p -> p.updater().setLrAndSchedule(p.lr(), p.schedule()));
    }

    private static ISchedule currentSchedule(IUpdater u) {
        try {
            Object s = u.getClass().getMethod("getLearningRateSchedule").invoke(u);
            return (ISchedule) s;
        } catch (ReflectiveOperationException e) {
            return null; // updaters without a schedule property (NoOp) have no learning rate either
        }
    }
}
