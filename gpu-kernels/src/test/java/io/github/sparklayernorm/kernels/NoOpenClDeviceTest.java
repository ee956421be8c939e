package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine with no OpenCL driver, for real: a child JVM whose OpenCL ICD loader is pointed at an
 * empty vendor directory, so it lists no platform.
 */
class NoOpenClDeviceTest {

    @TempDir
    Path emptyVendors;

    @TempDir
    Path logs;

    @Test
    void autoUsesJavaAndOpenclFailsSayingWhatItFound() throws Exception {
        Path stderr = logs.resolve("stderr.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                NoOpenClDeviceProbe.class.getName());
        builder.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        builder.redirectError(stderr.toFile());
        Process process = builder.start();
        List<String> lines = List.of(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .split("\n"));
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "probe JVM did not finish");
        assertEquals(0, process.exitValue(), lines.toString());
        assertTrue(lines.get(0).startsWith("auto: java -0.99999"), lines.toString());
        assertTrue(lines.get(1).startsWith("opencl: ") && lines.get(1).contains("backend 'opencl' needs an OpenCL device")
                && lines.get(1).contains("found"), lines.toString());
        // No OpenCL is the normal case under auto: nothing may log it as an error (Aparapi does,
        // where the OpenCL loader library itself is missing, unless it is kept quiet).
        String log = Files.readString(stderr);
        assertFalse(log.contains("SEVERE") || log.contains("ERROR"), log);
    }
}
