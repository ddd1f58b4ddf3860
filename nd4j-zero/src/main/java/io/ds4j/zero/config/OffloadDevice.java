package io.ds4j.zero.config;

import java.util.Locale;

/** Where offloaded state lives: DeepSpeed's {@code OffloadDeviceEnum} ({@code none}, {@code cpu}, {@code nvme}). */
public enum OffloadDevice {
    /** No offload: the state stays with the rank's compute device. */
    NONE,
    /** Host memory. */
    CPU,
    /** Files on a (fast) disk under {@code nvme_path}. */
    NVME;

    /** The name as written in a DeepSpeed configuration ({@code none}, {@code cpu}, {@code nvme}). */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True unless {@link #NONE}. */
    public boolean offloads() {
        return this != NONE;
    }
}
