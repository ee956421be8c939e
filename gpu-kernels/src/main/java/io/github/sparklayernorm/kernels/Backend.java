package io.github.sparklayernorm.kernels;

import java.util.Locale;

/** Which engine normalizes the rows. */
public enum Backend {
    /** The plain Java engine, always. */
    JAVA,
    /** OpenCL required: a GPU when there is one, else any OpenCL device (PoCL's CPU device counts); no device is an error. */
    OPENCL,
    /** A GPU when the executor has one, else Java; OpenCL failures fall back to Java with a warning. */
    AUTO;

    public static final String[] NAMES = {"java", "opencl", "auto"};

    public static Backend of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
