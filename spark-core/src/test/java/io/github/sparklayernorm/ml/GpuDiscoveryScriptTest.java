package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The discovery script shipped in bin/ lists as many GPUs as the engine's device mapping sees, and
 * fails as Spark expects (a message on stderr, a non-zero exit) when it cannot list devices.
 */
class GpuDiscoveryScriptTest {

    private static final File SCRIPT = new File("../bin/discover-gpus");

    @TempDir
    Path dir;

    /** Exit code, stdout, stderr. */
    private static String[] run(Map<String, String> env, boolean clearEnv) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", SCRIPT.getPath());
        if (clearEnv) {
            builder.environment().clear();
        }
        builder.environment().putAll(env);
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new String[] {String.valueOf(process.exitValue()),
            new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim(),
            new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim()};
    }

    private static String addresses(int count) {
        StringBuilder expected = new StringBuilder("{\"name\":\"gpu\",\"addresses\":[");
        for (int i = 0; i < count; i++) {
            expected.append(i == 0 ? "" : ",").append('"').append(i).append('"');
        }
        return expected.append("]}").toString();
    }

    @Test
    void scriptPrintsOneAddressPerOpenClGpuInSparksFormat() throws Exception {
        assertTrue(SCRIPT.canExecute(), "bin/discover-gpus must ship executable");
        String[] result = run(Map.of(), false);
        assertEquals("0", result[0], result[2]);
        assertEquals(addresses(OpenClDevices.gpus().size()), result[1]);
    }

    @Test
    void underTheTestSettingEveryOpenClDeviceIsListedAsTheEngineMapsIt() throws Exception {
        // The engine's side of the same setting is GpuSchedulingIT's (an environment variable).
        String[] result = run(Map.of(OpenClDevices.TEST_DEVICES_AS_GPUS, "1"), false);
        assertEquals("0", result[0], result[2]);
        assertEquals(addresses(OpenClDevices.all().size()), result[1]);
    }

    @Test
    void withoutClinfoTheScriptFailsAndSaysWhy() throws Exception {
        String[] result = run(Map.of("PATH", dir.toString()), true);
        assertEquals("1", result[0]);
        assertEquals("", result[1], "no address list when devices cannot be listed");
        assertTrue(result[2].contains("clinfo not found"), result[2]);
    }

    @Test
    void aFailingClinfoFailsTheScriptWithItsMessage() throws Exception {
        for (String tool : List.of("mktemp", "rm", "head", "grep", "cat")) {
            Path found = Files.exists(Paths.get("/usr/bin", tool)) ? Paths.get("/usr/bin", tool) : Paths.get("/bin", tool);
            Files.createSymbolicLink(dir.resolve(tool), found.toRealPath());
        }
        Path clinfo = dir.resolve("clinfo");
        Files.writeString(clinfo, "#!/bin/sh\necho 'clGetPlatformIDs(-1001): no ICD' >&2\nexit 3\n");
        Files.setPosixFilePermissions(clinfo, PosixFilePermissions.fromString("rwxr-xr-x"));
        String[] result = run(Map.of("PATH", dir.toString()), true);
        assertEquals("1", result[0]);
        assertEquals("", result[1]);
        assertTrue(result[2].contains("clinfo failed") && result[2].contains("no ICD"), result[2]);
    }
}
