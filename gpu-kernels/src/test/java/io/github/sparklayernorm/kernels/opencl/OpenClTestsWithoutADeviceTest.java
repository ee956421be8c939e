package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "-Dcom.aparapi.logLevel=OFF",
                OpenClTestRun.class.getName(), OpenClLayerNormTest.class.getName());
        builder.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        builder.environment().remove("CI");
        if (ci) {
            builder.environment().put("CI", "true");
        }
        builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, process.exitValue());
        Map<String, String> result = new HashMap<>();
        for (String line : new String(output, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                result.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return result;
    }
}
