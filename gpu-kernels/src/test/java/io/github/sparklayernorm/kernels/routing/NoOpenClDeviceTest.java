package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.ChildJvm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine with no OpenCL driver, for real: a child JVM whose OpenCL ICD loader is pointed at an
 * empty vendor directory, so it lists no platform.
 */
class NoOpenClDeviceTest {

    @TempDir
    Path emptyVendors;


    @Test
    void autoUsesJavaAndOpenclFailsSayingWhatItFound() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("OCL_ICD_VENDORS", emptyVendors.toString());
        ChildJvm.Result run = ChildJvm.run(List.of(), env, true, 120, NoOpenClDeviceProbe.class.getName());
        List<String> lines = List.of(run.output.split("\n"));
        assertEquals(0, run.exitCode, lines.toString());
        assertTrue(lines.get(0).startsWith("auto: java -0.99999"), lines.toString());
        assertTrue(lines.get(1).startsWith("opencl: ") && lines.get(1).contains("backend 'opencl' needs an OpenCL device")
                && lines.get(1).contains("found"), lines.toString());
        // No OpenCL is the normal case under auto: nothing may log it as an error (Aparapi does,
        // where the OpenCL loader library itself is missing, unless it is kept quiet).
        assertFalse(run.errors.contains("SEVERE") || run.errors.contains("ERROR"), run.errors);
    }
}
