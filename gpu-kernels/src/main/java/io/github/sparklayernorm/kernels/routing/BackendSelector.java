package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.EngineSetting;
import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.opencl.OpenClFailure;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Chooses the engine for a task:
 *
 * <ul>
 *   <li>{@code java}: the Java engine.</li>
 *   <li>{@code opencl}: the assigned GPU if one is given, else the first GPU, else the first OpenCL
 *       device of any kind (PoCL's CPU device counts). No device, or a failure to compile or run,
 *       is an {@link OpenClFailure} that says what was looked for and what was found.</li>
 *   <li>{@code auto}: the assigned GPU if one is given, else the first GPU OpenCL lists, else the
 *       Java engine. OpenCL CPU and accelerator devices (FPGA boards, simulators) are not used unless the system property
 *       {@value #AUTO_USES_CPU_DEVICES} is {@code true}: inside Spark every core already runs a task,
 *       so a CPU device only competes with them (docs/performance.md, "OpenCL against Java"). Any OpenCL failure
 *       falls back to the Java engine, and the listener hears why.</li>
 * </ul>
 *
 * <p>Which device that is, and everything else that touches OpenCL, is the {@code opencl}
 * package's ({@link OpenClEnginePool}); this class decides by the backend and the outcome alone.
 */
public final class BackendSelector {

    /** System property: whether {@code auto} also takes OpenCL CPU and accelerator devices. */
    public static final String AUTO_USES_CPU_DEVICES = "sparklayernorm.auto.useCpuDevices";

    private BackendSelector() {
    }

    /**
     * An engine for a task, to close when the task ends (it gives pooled OpenCL resources back).
     *
     * @param assignedGpu the GPU Spark assigned to the task ("0", "1", ...), or {@code null}
     * @param shape the OpenCL kernel's shape ({@code auto}: the group shape on GPUs, the row shape
     *     elsewhere)
     * @param calibrate whether backend {@code auto} measures each row shape on the device and on
     *     the Java engine first and keeps the faster for this JVM ({@code opencl} never leaves the
     *     device on speed grounds)
     */
    public static RoutedLayerNorm open(Backend backend, String assignedGpu, KernelShape shape, boolean calibrate,
                                       BackendListener listener) {
        return open(backend, assignedGpu, shape, calibrate, () -> false, listener);
    }

    /**
     * As {@link #open(Backend, String, KernelShape, boolean, BackendListener)}; under {@code opencl}
     * a task that waits for a busy device's context stops waiting when {@code taskEnded} says so or
     * after {@value OpenClEnginePool#CONTEXT_WAIT_SECONDS} seconds, and uses the Java engine (the
     * listener hears why): a device that never frees a context does not hang the executor's tasks.
     */
    public static RoutedLayerNorm open(Backend backend, String assignedGpu, KernelShape shape, boolean calibrate,
                                       BooleanSupplier taskEnded, BackendListener listener) {
        switch (backend) {
            case JAVA:
                listener.chose(JavaLayerNorm.NAME, JavaLayerNorm.DEVICE, "backend 'java'");
                return new RoutedLayerNorm(null, false, listener);
            case OPENCL: {
                StringBuilder whyNot = new StringBuilder();
                OpenClLayerNorm engine = OpenClEnginePool.borrowRequired(assignedGpu, taskEnded, whyNot::append);
                if (engine == null) {
                    listener.fellBack("wait", "backend 'opencl' and " + whyNot);
                    return new RoutedLayerNorm(null, false, listener);
                }
                return borrowed(engine, () -> {
                    engine.use(shape);
                    listener.chose(OpenClLayerNorm.NAME, engine.device(), "backend 'opencl'"
                            + assignedWords(assignedGpu) + ", " + engine.shape().word() + " kernel");
                    return new RoutedLayerNorm(engine, true, listener);
                });
            }
            default:
                try {
                    StringBuilder whyNot = new StringBuilder();
                    OpenClLayerNorm engine = OpenClEnginePool.borrowIfFree(assignedGpu,
                            EngineSetting.flag(AUTO_USES_CPU_DEVICES), whyNot::append);
                    if (engine == null) {
                        listener.chose(JavaLayerNorm.NAME, JavaLayerNorm.DEVICE, "backend 'auto' and " + whyNot);
                        return new RoutedLayerNorm(null, false, calibrate, listener);
                    }
                    return borrowed(engine, () -> {
                        engine.use(shape);
                        listener.chose(OpenClLayerNorm.NAME, engine.device(), "backend 'auto'"
                                + assignedWords(assignedGpu) + ", " + engine.shape().word() + " kernel");
                        return new RoutedLayerNorm(engine, false, calibrate, listener);
                    });
                } catch (OpenClFailure e) {
                    listener.fellBack(e.stage().word(), e.getMessage());
                    return new RoutedLayerNorm(null, false, listener);
                }
        }
    }

    /** Hands {@code engine} to what {@code wrap} builds; if that throws, the engine goes back to its pool. */
    private static RoutedLayerNorm borrowed(OpenClLayerNorm engine, Supplier<RoutedLayerNorm> wrap) {
        try {
            return wrap.get();
        } catch (RuntimeException | Error e) {
            OpenClEnginePool.discard(engine);
            throw e;
        }
    }

    /**
     * Whether {@code auto}, with no GPU assigned, would take an OpenCL device in this JVM (a GPU;
     * any device when {@value #AUTO_USES_CPU_DEVICES} is set), or the Java engine. Lists devices
     * only.
     */
    public static boolean autoUsesOpenCl() {
        return OpenClEnginePool.autoFindsDevice(EngineSetting.flag(AUTO_USES_CPU_DEVICES));
    }

    private static String assignedWords(String assignedGpu) {
        return assignedGpu == null ? "" : " on the GPU Spark assigned (address " + assignedGpu + ")";
    }
}
