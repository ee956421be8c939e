package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.ChildJvm;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenCL tests on a machine without OpenCL, for real: {@link OpenClLayerNormTest} (JUnit tests
 * and jqwik properties) runs in a child JVM whose OpenCL loader is pointed at an empty vendor
 * folder. A developer's run reports them skipped; a CI run fails them.
 */
class OpenClTestsWithoutADeviceTest {

    @TempDir
    Path emptyVendors;

    @Test
    void withoutCiEveryDeviceTestIsSkippedAndNoneFails() throws Exception {
        Map<String, String> result = runWithoutOpenCl(false);
        assertEquals("0", result.get("failed"), result.toString());
        assertEquals("0", result.get("aborted"), "no test starts and then gives up: " + result);
        assertEquals("0", result.get("succeeded"), result.toString());
        assertEquals("0", result.get("containersFailed"), result.toString());
        // The class is skipped as a whole, once by the JUnit engine and once by jqwik's.
        assertEquals("2", result.get("containersSkipped"), result.toString());
    }

    @Test
    void underCiEveryDeviceTestFailsSayingOpenClIsMissing() throws Exception {
        Map<String, String> result = runWithoutOpenCl(true);
        assertEquals("0", result.get("succeeded"), result.toString());
        assertTrue(Integer.parseInt(result.get("failed")) > 20, result.toString());
        assertEquals(result.get("found"), result.get("failed"), "every test fails: " + result);
        assertTrue(result.get("firstFailure").contains("no OpenCL device"), result.toString());
    }

    private Map<String, String> runWithoutOpenCl(boolean ci) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("OCL_ICD_VENDORS", emptyVendors.toString());
        env.put("CI", ci ? "true" : null);
        ChildJvm.Result run = ChildJvm.run(List.of("--add-modules=jdk.incubator.vector", "-Dcom.aparapi.logLevel=OFF"),
                env, true, 120, OpenClTestRun.class.getName(), OpenClLayerNormTest.class.getName());
        assertEquals(0, run.exitCode, run.output + run.errors);
        Map<String, String> result = new HashMap<>();
        for (String line : run.output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                result.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return result;
    }
}
