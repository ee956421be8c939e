package io.github.sparklayernorm.kernels;

import com.aparapi.device.OpenCLDevice;
import io.github.sparklayernorm.kernels.opencl.FaultInjection;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import io.github.sparklayernorm.kernels.opencl.SignalChaining;
import java.util.List;

/**
 * Chooses the engine for a task:
 *
 * <ul>
 *   <li>{@code java}: the Java engine.</li>
 *   <li>{@code opencl}: the assigned GPU if one is given, else the first GPU, else the first OpenCL
 *       device of any kind (PoCL's CPU device counts). No device, or a failure to compile or run,
 *       is an {@link OpenClFailure} that says what was looked for and what was found.</li>
 *   <li>{@code auto}: the assigned GPU if one is given, else the first GPU OpenCL lists, else the
 *       Java engine. OpenCL CPU devices are not used unless the system property
 *       {@value #AUTO_USES_CPU_DEVICES} is {@code true}: inside Spark every core already runs a task,
 *       so a CPU device only competes with them (see the README's measurements). Any OpenCL failure
 *       falls back to the Java engine, and the listener hears why.</li>
 * </ul>
 *
 * <p>OpenCL is only used in a JVM that preloads libjsig ({@link SignalChaining}); without it,
 * {@code auto} falls back to Java with a warning and {@code opencl} fails, both saying how to fix it.
 *
 * <p>A GPU address is Spark's ("0", "1", ...): the N-th GPU in OpenCL's order
 * ({@link OpenClDevices#gpuForAddress}).
 */
public final class BackendSelector {

    /** System property: whether {@code auto} also takes OpenCL CPU and accelerator devices. */
    public static final String AUTO_USES_CPU_DEVICES = "sparklayernorm.auto.useCpuDevices";

    private BackendSelector() {
    }

    /**
     * @param assignedGpu the GPU Spark assigned to the task, or {@code null}
     * @return an engine to close when the task ends (it gives pooled OpenCL resources back)
     */
    public static LayerNormEngine open(Backend backend, String assignedGpu, BackendListener listener) {
        switch (backend) {
            case JAVA:
                listener.chose("java", "cpu", "backend 'java'");
                return new RoutedLayerNorm(null, false, listener);
            case OPENCL:
                FaultInjection.at(OpenClFailure.Stage.LIBRARY, "this JVM");
                return new RoutedLayerNorm(borrow(requiredDevice(assignedGpu), listener,
                        "backend 'opencl'" + assignedWords(assignedGpu), true), true, listener);
            default:
                try {
                    FaultInjection.at(OpenClFailure.Stage.LIBRARY, "this JVM");
                    OpenCLDevice device = assignedGpu != null ? OpenClDevices.gpuForAddress(assignedGpu) : autoDevice();
                    if (device == null) {
                        listener.chose("java", "cpu", "backend 'auto' and no OpenCL "
                                + (Boolean.getBoolean(AUTO_USES_CPU_DEVICES) ? "device" : "GPU") + ": found "
                                + OpenClDevices.inventory());
                        return new RoutedLayerNorm(null, false, listener);
                    }
                    OpenClLayerNorm engine = borrow(device, listener, "backend 'auto'" + assignedWords(assignedGpu), false);
                    if (engine == null) {
                        listener.chose("java", "cpu", "backend 'auto' and every OpenCL context of "
                                + OpenClDevices.describe(device) + " is in use by other tasks (at most "
                                + OpenClEnginePool.maxContexts() + ", system property " + OpenClEnginePool.MAX_CONTEXTS + ")");
                    }
                    return new RoutedLayerNorm(engine, false, listener);
                } catch (OpenClFailure e) {
                    listener.fellBack(e);
                    return new RoutedLayerNorm(null, false, listener);
                }
        }
    }

    private static String assignedWords(String assignedGpu) {
        return assignedGpu == null ? "" : " on the GPU Spark assigned (address " + assignedGpu + ")";
    }

    private static OpenCLDevice autoDevice() {
        List<OpenCLDevice> devices = Boolean.getBoolean(AUTO_USES_CPU_DEVICES) ? OpenClDevices.all() : OpenClDevices.gpus();
        return devices.isEmpty() ? null : devices.get(0);
    }

    private static OpenCLDevice requiredDevice(String assignedGpu) {
        if (assignedGpu != null) {
            return OpenClDevices.gpuForAddress(assignedGpu);
        }
        List<OpenCLDevice> all = OpenClDevices.all();
        if (all.isEmpty()) {
            OpenClFailure.Stage stage = OpenClDevices.libraryAvailable()
                    ? OpenClFailure.Stage.DEVICE : OpenClFailure.Stage.LIBRARY;
            throw new OpenClFailure(stage, "backend 'opencl' needs an OpenCL device (a GPU, else any device);"
                    + " found " + OpenClDevices.inventory() + ". Use backend 'auto' or 'java' where there is none.");
        }
        return all.get(0);
    }

    /** An engine for the device, or null when all its contexts are busy and {@code wait} is false. */
    private static OpenClLayerNorm borrow(OpenCLDevice device, BackendListener listener, String why, boolean wait) {
        SignalChaining.requirePreloaded();
        OpenClLayerNorm engine = OpenClEnginePool.borrow(device, wait);
        if (engine != null) {
            listener.chose("opencl", engine.device(), why);
        }
        return engine;
    }
}
