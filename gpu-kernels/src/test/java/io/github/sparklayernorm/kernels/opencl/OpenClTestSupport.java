package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import com.aparapi.device.OpenCLDevice;

/**
 * The OpenCL device the tests run on, for tests marked {@link RequiresOpenClDevice}: those are
 * skipped without a device, so reaching here without one means {@code CI=true}, where it fails.
 */
public final class OpenClTestSupport {

    public static OpenCLDevice requireDevice() {
        if (OpenClDeviceCondition.devices().isEmpty()) {
            fail(OpenClDeviceCondition.noDeviceReason());
        }
        return OpenClDeviceCondition.devices().get(0);
    }

    private OpenClTestSupport() {
    }
}
