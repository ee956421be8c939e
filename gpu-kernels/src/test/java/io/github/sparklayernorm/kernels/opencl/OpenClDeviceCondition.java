package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.device.OpenCLDevice;
import java.util.List;
import java.util.Map;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Decides, once per JVM, whether tests that need an OpenCL device run: they run when there is a
 * device; without one they are skipped, unless {@code CI=true}, where they run and fail in
 * {@link OpenClTestSupport#requireDevice()} saying what was found.
 */
public final class OpenClDeviceCondition implements ExecutionCondition, SkipExecutionHook {

    /** What the tests should do, given the devices found and the environment. */
    enum Decision {
        RUN, SKIP, FAIL
    }

    static Decision decide(boolean deviceFound, Map<String, String> environment) {
        if (deviceFound) {
            return Decision.RUN;
        }
        return "true".equalsIgnoreCase(environment.get("CI")) ? Decision.FAIL : Decision.SKIP;
    }

    private static final class Found {
        static final List<OpenCLDevice> DEVICES = OpenClDevices.all();
        static final Decision DECISION = decide(!DEVICES.isEmpty(), System.getenv());
    }

    static List<OpenCLDevice> devices() {
        return Found.DEVICES;
    }

    static Decision decision() {
        return Found.DECISION;
    }

    static String noDeviceReason() {
        return "no OpenCL device: " + OpenClDevices.inventory()
                + " (apt-get install pocl-opencl-icd ocl-icd-libopencl1)";
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return decision() == Decision.SKIP
                ? ConditionEvaluationResult.disabled(noDeviceReason())
                : ConditionEvaluationResult.enabled(decision() == Decision.RUN ? "OpenCL device found"
                        : "CI=true: a missing OpenCL device fails the test");
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return decision() == Decision.SKIP ? SkipResult.skip(noDeviceReason()) : SkipResult.doNotSkip();
    }
}
