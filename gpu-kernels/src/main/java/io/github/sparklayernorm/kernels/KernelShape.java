package io.github.sparklayernorm.kernels;

import java.util.Locale;

/**
 * How the OpenCL kernel lays rows on the device: {@link #ROW}, one work-item per row (what a CPU
 * device wants), or {@link #GROUP}, one work-group per row with coalesced loads and reductions in
 * local memory (what a GPU wants). {@link #AUTO} takes the group shape on GPUs and the row shape
 * on any other device.
 */
public enum KernelShape {
    AUTO,
    ROW,
    GROUP;

    /** The names users give: {@code auto}, {@code row}, {@code group}. */
    public static final String NAMES = "auto, row or group";

    /** The shape named {@code name} (any case), or {@code null} when it names none. */
    public static KernelShape parse(String name) {
        for (KernelShape shape : values()) {
            if (shape.name().equalsIgnoreCase(name.trim())) {
                return shape;
            }
        }
        return null;
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
