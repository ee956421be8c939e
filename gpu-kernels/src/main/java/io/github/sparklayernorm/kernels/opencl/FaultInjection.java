package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.OpenClFailure;

/**
 * Makes the OpenCL path fail on purpose, to test that failures are detected and handled: set the
 * system property {@value #PROPERTY} to {@code compile} or {@code execute} (for Spark executors,
 * through {@code spark.executor.extraJavaOptions}). Read at each use, so tests can switch it.
 */
final class FaultInjection {

    static final String PROPERTY = "sparklayernorm.opencl.fault";

    static void at(OpenClFailure.Stage stage, String device) {
        String fault = System.getProperty(PROPERTY, "");
        if (fault.equalsIgnoreCase(stage.name())) {
            throw new OpenClFailure(stage, "injected " + fault + " failure on " + device
                    + " (system property " + PROPERTY + ")");
        }
    }

    private FaultInjection() {
    }
}
