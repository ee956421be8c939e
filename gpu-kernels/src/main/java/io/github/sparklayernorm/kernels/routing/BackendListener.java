package io.github.sparklayernorm.kernels.routing;

/**
 * What the choice of engine and its failures are, so that the caller can log them (Spark turns
 * these into executor log lines). Rows are counted from each batch's
 * {@link io.github.sparklayernorm.kernels.BatchReport}. Calls come from the thread that normalizes.
 */
public interface BackendListener {

    /**
     * A task's engine was chosen: {@code backend} ("java" or "opencl") on {@code device}, and
     * {@code why} in words ("backend 'auto' and OpenCL lists no GPU: ...").
     */
    default void chose(String backend, String device, String why) {
    }

    /**
     * {@code device} got some rows of a batch wrong ({@code what}: non-finite output of finite
     * input); the Java engine recomputed them, and the batch's report lists them as its rows.
     */
    default void recomputed(String device, String what) {
    }

    /**
     * Backend {@code auto} measured a row shape on the device and on the Java engine and chose
     * {@code backend} for it in this JVM; {@code figures} gives both times in words.
     */
    default void calibrated(String backend, String device, String figures) {
    }

    /**
     * The OpenCL path failed at {@code step} ("compile", "execute", ...: where it failed) and the
     * Java engine takes over; {@code why} says what happened.
     */
    default void fellBack(String step, String why) {
    }

    /** Hears nothing. */
    BackendListener NONE = new BackendListener() { };
}
