package io.github.sparklayernorm.kernels;

/**
 * What the choice of engine and its failures are, so that the caller can log them (Spark turns
 * these into executor log lines). Rows are counted from the engine itself, batch by batch
 * ({@code RoutedLayerNorm}). Calls come from the thread that normalizes.
 */
public interface BackendListener {

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

    /**
     * Backend {@code auto} measured a row shape on the device and on the Java engine and chose
     * {@code backend} for it in this JVM; {@code figures} gives both times in words.
     */
    default void calibrated(String backend, String device, String figures) {
    }

    /** The OpenCL path failed and the Java engine takes over; {@code reason} says why. */
    default void fellBack(OpenClFailure reason) {
    }

    /** Hears nothing. */
    BackendListener NONE = new BackendListener() { };
}
