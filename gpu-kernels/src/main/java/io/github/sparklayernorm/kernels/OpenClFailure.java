package io.github.sparklayernorm.kernels;

/**
 * The OpenCL path could not do its work. Raised by the project itself at each point where Aparapi
 * would otherwise fall back silently, so that the caller decides: the Java engine under
 * {@code auto}, an error under {@code opencl}.
 */
public final class OpenClFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Where the OpenCL path failed. */
    public enum Stage {
        /** No OpenCL library (libOpenCL.so.1) or no Aparapi native library. */
        LIBRARY,
        /** No usable OpenCL device. */
        DEVICE,
        /** The kernel did not compile for the device. */
        COMPILE,
        /** The kernel failed while running, or did not run on the device. */
        EXECUTE
    }

    private final Stage stage;

    public OpenClFailure(Stage stage, String message) {
        super(message);
        this.stage = stage;
    }

    public OpenClFailure(Stage stage, String message, Throwable cause) {
        super(message, cause);
        this.stage = stage;
    }

    public Stage stage() {
        return stage;
    }
}
