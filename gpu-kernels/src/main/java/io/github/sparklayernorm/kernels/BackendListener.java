package io.github.sparklayernorm.kernels;

/**
 * What the engines report, so that the caller can count and log it (Spark turns this into
 * accumulators and executor log lines). Calls come from the thread that normalizes.
 */
public interface BackendListener {

    /** {@code rows} rows were normalized by {@code backend} ("java" or "opencl") on {@code device}. */
    void rowsNormalized(String backend, String device, long rows);

    /**
     * A task's engine was chosen: {@code backend} ("java" or "opencl") on {@code device}, and
     * {@code why} in words ("backend 'auto' and OpenCL lists no GPU: ...").
     */
    default void chose(String backend, String device, String why) {
    }

    /**
     * The device got some rows of a batch wrong (at {@code stage}: non-finite output of finite
     * input); the Java engine recomputed them, and they are counted as its rows.
     */
    default void recomputed(OpenClFailure.Stage stage, String device) {
    }

    /** The OpenCL path failed and the Java engine takes over; {@code reason} says why. */
    default void fellBack(OpenClFailure reason) {
    }

    BackendListener NONE = (backend, device, rows) -> { };
}
