package io.github.sparklayernorm.kernels;

import java.util.Arrays;
import java.util.Locale;

/** Which engine normalizes the rows. */
public enum Backend {
    /** The plain Java engine, always. */
    JAVA,
    /** OpenCL required: a GPU when there is one, else any OpenCL device (PoCL's CPU device counts); no device is an error. */
    OPENCL,
    /** A GPU when the executor has one, else Java; OpenCL failures fall back to Java with a warning. */
    AUTO;

    /** The names params and options take: the constants in lower case. */
    public static final String[] NAMES = Arrays.stream(values()).map(Backend::word).toArray(String[]::new);

    /** How params, options and messages name this backend: "java", "opencl", "auto". */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Backend of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
