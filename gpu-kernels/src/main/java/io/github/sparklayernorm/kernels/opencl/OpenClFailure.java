package io.github.sparklayernorm.kernels.opencl;

/**
 * The OpenCL path could not do its work. Raised by the project itself at each point where Aparapi
 * would otherwise fall back silently, so that the caller decides: the Java engine under
 * {@code auto}, an error under {@code opencl}.
 */
public final class OpenClFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Where the OpenCL path failed; {@link #word()} is how messages and the fault-injection property name it. */
    public enum Stage {
        /** No OpenCL library (libOpenCL.so.1) or no Aparapi native library. */
        LIBRARY("library"),
        /** No usable OpenCL device. */
        DEVICE("device"),
        /** The kernel did not compile for the device. */
        COMPILE("compile"),
        /** The kernel compiled but gave wrong results on a known row before any data. */
        SELF_CHECK("self-check"),
        /** Copying a batch (or its parameters) to the device failed. */
        TRANSFER_IN("transfer-in"),
        /** The kernel failed while running, or did not run on the device (Aparapi fell back to Java threads). */
        EXECUTE("execute"),
        /** Copying results back from the device failed. */
        TRANSFER_OUT("transfer-out"),
        /** The device wrote NaN or an infinity for a row whose input is finite. */
        OUTPUT("output");

        private final String word;

        Stage(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
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
