package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.EngineSetting;
import com.aparapi.device.OpenCLDevice;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Compiled OpenCL engines, kept per device for reuse: compiling the kernel and allocating device
 * buffers costs far more than a batch, so a task borrows an idle engine (or compiles one) and
 * gives it back when it ends. An engine is used by one thread at a time.
 *
 * <p>Each engine is an OpenCL context with its own device buffers, so their number per device is
 * bounded, by the system property {@value #MAX_CONTEXTS} (default {@value #DEFAULT_MAX_CONTEXTS}):
 * an executor with many task slots on one GPU would otherwise hold one context per slot. A task
 * that finds every context busy waits for one when OpenCL is required, and uses the Java engine
 * under {@code auto} (its core would otherwise sit idle).
 *
 * <p>A device whose kernel failed to compile or failed its self-check is remembered for the life
 * of the JVM and not tried again. (While a fault is injected for testing, failures are not
 * remembered and idle engines are not reused, so that every stage is reached.)
 */
public final class OpenClEnginePool {

    /** System property: the most OpenCL contexts (engines) this JVM keeps per device. */
    public static final String MAX_CONTEXTS = "sparklayernorm.opencl.maxContextsPerDevice";
    static final int DEFAULT_MAX_CONTEXTS = 4;
    /**
     * System property: the longest, in seconds, a task under backend {@code opencl} waits for a
     * context of a device whose contexts are all in use; then it uses the Java engine (the same bits).
     */
    public static final String CONTEXT_WAIT_SECONDS = "sparklayernorm.opencl.contextWaitSeconds";
    static final int DEFAULT_CONTEXT_WAIT_SECONDS = 600;
    private static final long POLL_MILLIS = 200;

    private static final Map<Long, Slots> DEVICES = new ConcurrentHashMap<>();
    private static final Map<Long, OpenClFailure> FAILED = new ConcurrentHashMap<>();

    /** One device's engines: the idle ones, and how many are alive (idle or borrowed). */
    private static final class Slots {
        final LinkedBlockingDeque<OpenClLayerNorm> idle = new LinkedBlockingDeque<>();
        final AtomicInteger live = new AtomicInteger();
    }

    private OpenClEnginePool() {
    }

    /** The most OpenCL contexts (engines) kept per device. */
    public static int maxContexts() {
        return Math.max(1, EngineSetting.integer(MAX_CONTEXTS, DEFAULT_MAX_CONTEXTS));
    }

    /**
     * An engine for backend {@code opencl}: on the GPU Spark assigned when there is one, else the
     * first GPU, else the first OpenCL device of any kind. Waits for a context when all are busy.
     *
     * @param assignedGpu Spark's address of the task's GPU ("0", "1", ...), or {@code null}
     * @throws OpenClFailure when there is no such device or the kernel does not run there
     */
    public static OpenClLayerNorm borrowRequired(String assignedGpu) {
        return borrowRequired(assignedGpu, () -> false, why -> { });
    }

    /**
     * As {@link #borrowRequired(String)}, waiting for a busy device's context at most
     * {@value #CONTEXT_WAIT_SECONDS} seconds and only while {@code taskEnded} says no; or
     * {@code null}, after telling {@code whyNot} the reason, when the wait ended without a context.
     */
    public static OpenClLayerNorm borrowRequired(String assignedGpu, BooleanSupplier taskEnded,
                                                 Consumer<String> whyNot) {
        FaultInjection.at(OpenClFailure.Stage.LIBRARY, "this JVM");
        OpenCLDevice device;
        if (assignedGpu != null) {
            device = OpenClDevices.gpuForAddress(assignedGpu);
        } else {
            List<OpenCLDevice> all = OpenClDevices.all();
            if (all.isEmpty()) {
                OpenClFailure.Stage stage = OpenClDevices.libraryAvailable()
                        ? OpenClFailure.Stage.DEVICE : OpenClFailure.Stage.LIBRARY;
                throw new OpenClFailure(stage, "backend 'opencl' needs an OpenCL device (a GPU, else any device);"
                        + " found " + OpenClDevices.inventory() + ". Use backend 'auto' or 'java' where there is none.");
            }
            device = all.get(0);
        }
        SignalChaining.requirePreloaded();
        long waitNanos = TimeUnit.SECONDS.toNanos(Math.max(0, EngineSetting.integer(CONTEXT_WAIT_SECONDS,
                DEFAULT_CONTEXT_WAIT_SECONDS)));
        return borrow(device, waitNanos, taskEnded, whyNot);
    }

    /**
     * Whether {@code auto} would find a device in this JVM without a GPU from Spark: a GPU (or, when
     * {@code anyDevice}, any device) that OpenCL lists. Lists devices only; compiles nothing.
     */
    public static boolean autoFindsDevice(boolean anyDevice) {
        return !(anyDevice ? OpenClDevices.all() : OpenClDevices.gpus()).isEmpty();
    }

    /**
     * An engine for backend {@code auto}: on the GPU Spark assigned when there is one, else the
     * first GPU (or the first device of any kind when {@code anyDevice}); or {@code null}, after
     * telling {@code whyNot} the reason in words, when there is no such device or all its
     * contexts are busy.
     *
     * @throws OpenClFailure when the library, the device or the kernel fails
     */
    public static OpenClLayerNorm borrowIfFree(String assignedGpu, boolean anyDevice, Consumer<String> whyNot) {
        FaultInjection.at(OpenClFailure.Stage.LIBRARY, "this JVM");
        OpenCLDevice device;
        if (assignedGpu != null) {
            device = OpenClDevices.gpuForAddress(assignedGpu);
        } else {
            List<OpenCLDevice> devices = anyDevice ? OpenClDevices.all() : OpenClDevices.gpus();
            if (devices.isEmpty()) {
                whyNot.accept("no OpenCL " + (anyDevice ? "device" : "GPU") + ": found " + OpenClDevices.inventory());
                return null;
            }
            device = devices.get(0);
        }
        SignalChaining.requirePreloaded();
        return borrow(device, 0, () -> false, whyNot);
    }

    /**
     * An engine for the device, ready to run; or {@code null}, after telling {@code whyNot} why, when
     * every context of the device stayed busy for {@code waitNanos} or the task ended while waiting.
     *
     * @throws OpenClFailure (COMPILE, SELF_CHECK) if the kernel does not compile or run right there
     */
    static OpenClLayerNorm borrow(OpenCLDevice device, long waitNanos, BooleanSupplier taskEnded,
                                  Consumer<String> whyNot) {
        FaultInjection.at(OpenClFailure.Stage.COMPILE, OpenClDevices.describe(device));
        OpenClFailure failed = FAILED.get(device.getDeviceId());
        if (failed != null) {
            throw failed;
        }
        Slots slots = DEVICES.computeIfAbsent(device.getDeviceId(), id -> new Slots());
        if (FaultInjection.any()) {
            // So that an injected fault reaches every stage, compiling and the self-check included.
            for (OpenClLayerNorm idle = slots.idle.pollFirst(); idle != null; idle = slots.idle.pollFirst()) {
                discard(idle);
            }
        }
        long deadline = System.nanoTime() + waitNanos;
        while (true) {
            OpenClLayerNorm idle = slots.idle.pollFirst();
            if (idle != null) {
                return idle;
            }
            if (slots.live.incrementAndGet() <= maxContexts()) {
                return create(device, slots);
            }
            slots.live.decrementAndGet();
            String busy = "every OpenCL context of " + OpenClDevices.describe(device) + " is in use by other tasks"
                    + " (at most " + maxContexts() + ", system property " + MAX_CONTEXTS + ")";
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                whyNot.accept(waitNanos == 0 ? busy : busy + " and none came free within "
                        + TimeUnit.NANOSECONDS.toSeconds(waitNanos) + " s (system property " + CONTEXT_WAIT_SECONDS + ")");
                return null;
            }
            if (taskEnded.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                whyNot.accept(busy + ", and the task ended (killed or cancelled) while it waited for one");
                return null;
            }
            try {
                // Polled, not taken: a context that closes (a failed engine) frees a slot without
                // coming back to the idle queue.
                idle = slots.idle.pollFirst(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MILLIS),
                        TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                whyNot.accept(busy + ", and the task was interrupted while it waited for one");
                return null;
            }
            if (idle != null) {
                return idle;
            }
        }
    }

    private static OpenClLayerNorm create(OpenCLDevice device, Slots slots) {
        try {
            return compile(device);
        } catch (OpenClFailure e) {
            slots.live.decrementAndGet();
            boolean deviceIsBad = e.stage() == OpenClFailure.Stage.COMPILE || e.stage() == OpenClFailure.Stage.SELF_CHECK;
            if (deviceIsBad && !FaultInjection.any()) {
                FAILED.put(device.getDeviceId(), e);
            }
            throw e;
        } catch (RuntimeException | Error e) {
            // Whatever else fails (Aparapi's own exceptions, out of memory) gives the slot back too.
            slots.live.decrementAndGet();
            throw e;
        }
    }

    /**
     * Compiles one engine at a time: compiling is rare (engines are reused) and Aparapi's native
     * set-up is not known to be safe from several threads at once.
     */
    private static synchronized OpenClLayerNorm compile(OpenCLDevice device) {
        FaultInjection.crashAt(OpenClDevices.describe(device));
        return new OpenClLayerNorm(device);
    }

    /** Returns a healthy engine for reuse. An engine that failed must be closed instead. */
    public static void giveBack(OpenClLayerNorm engine) {
        DEVICES.get(engine.deviceId()).idle.offerFirst(engine);
    }

    /**
     * Closes a borrowed engine that failed, instead of giving it back: its context no longer
     * counts against the device, and a task waiting for one may make a new one.
     */
    public static void discard(OpenClLayerNorm engine) {
        if (engine.closed()) {
            return;
        }
        engine.close();
        Slots slots = DEVICES.get(engine.deviceId());
        if (slots != null) {
            slots.live.decrementAndGet();
        }
    }

    /** Live contexts of a device, for tests. */
    static int live(OpenCLDevice device) {
        Slots slots = DEVICES.get(device.getDeviceId());
        return slots == null ? 0 : slots.live.get();
    }
}
