package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.device.OpenCLDevice;
import io.github.sparklayernorm.kernels.OpenClFailure;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Compiled OpenCL engines, kept per device for reuse: compiling the kernel and allocating device
 * buffers costs far more than a batch, so a task borrows an idle engine (or compiles one) and
 * gives it back when it ends. An engine is used by one thread at a time. A few idle engines per
 * device are kept; any beyond that are released when given back.
 *
 * <p>A device whose kernel failed to compile is remembered and not compiled for again.
 */
public final class OpenClEnginePool {

    private static final int MAX_IDLE_PER_DEVICE = 8;
    private static final Map<Long, ConcurrentLinkedDeque<OpenClLayerNorm>> IDLE = new ConcurrentHashMap<>();
    private static final Map<Long, OpenClFailure> FAILED = new ConcurrentHashMap<>();

    private OpenClEnginePool() {
    }

    /**
     * An engine for the device, ready to run.
     *
     * @throws OpenClFailure (COMPILE) if the kernel does not compile for the device
     */
    public static OpenClLayerNorm borrow(OpenCLDevice device) {
        FaultInjection.at(OpenClFailure.Stage.COMPILE, OpenClDevices.describe(device));
        OpenClFailure failed = FAILED.get(device.getDeviceId());
        if (failed != null) {
            throw failed;
        }
        OpenClLayerNorm idle = idle(device.getDeviceId()).pollFirst();
        if (idle != null) {
            return idle;
        }
        try {
            return create(device);
        } catch (OpenClFailure e) {
            if (e.stage() == OpenClFailure.Stage.COMPILE) {
                FAILED.put(device.getDeviceId(), e);
            }
            throw e;
        }
    }

    /**
     * Compiles one engine at a time: compiling is rare (engines are reused) and Aparapi's native
     * set-up is not known to be safe from several threads at once.
     */
    private static synchronized OpenClLayerNorm create(OpenCLDevice device) {
        return new OpenClLayerNorm(device);
    }

    /** Returns a healthy engine for reuse. An engine that failed must be closed instead. */
    public static void giveBack(OpenClLayerNorm engine) {
        ConcurrentLinkedDeque<OpenClLayerNorm> idle = idle(engine.deviceId());
        if (idle.size() < MAX_IDLE_PER_DEVICE) {
            idle.offerFirst(engine);
        } else {
            engine.close();
        }
    }

    private static ConcurrentLinkedDeque<OpenClLayerNorm> idle(long deviceId) {
        return IDLE.computeIfAbsent(deviceId, id -> new ConcurrentLinkedDeque<>());
    }
}
