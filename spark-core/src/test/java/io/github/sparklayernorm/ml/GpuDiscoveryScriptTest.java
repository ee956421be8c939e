package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.EngineSetting;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import java.io.File;
import java.io.IOException;
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

    /** Two platforms' devices as {@code clinfo --raw} prints them: GPUs on both, a CPU and an accelerator. */
    private static final String RAW = String.join("\n",
            "[NV/0]    CL_DEVICE_NAME                                  NVIDIA H100",
            "[NV/0]    CL_DEVICE_TYPE                                  CL_DEVICE_TYPE_GPU",
            "[NV/1]    CL_DEVICE_TYPE                                  CL_DEVICE_TYPE_GPU",
            "[POCL/0]  CL_DEVICE_TYPE                                  CL_DEVICE_TYPE_CPU",
            "[OG/0]    CL_DEVICE_TYPE                                  CL_DEVICE_TYPE_ACCELERATOR",
            "[AMD/0]   CL_DEVICE_TYPE                                  CL_DEVICE_TYPE_GPU",
            "[AMD/0]   CL_DEVICE_MAX_COMPUTE_UNITS                     96");

    /** A folder for PATH with the tools the script uses and a {@code clinfo} that prints {@code body}. */
    private Path fakeClinfo(String body) throws IOException {
        for (String tool : List.of("mktemp", "rm", "head", "grep", "cat")) {
            Path found = Files.exists(Paths.get("/usr/bin", tool)) ? Paths.get("/usr/bin", tool) : Paths.get("/bin", tool);
            Files.createSymbolicLink(dir.resolve(tool), found.toRealPath());
        }
        Path clinfo = dir.resolve("clinfo");
        Files.writeString(clinfo, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(clinfo, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @Test
    void scriptPrintsOneAddressPerGpuClinfoListsInSparksFormat() throws Exception {
        assertTrue(SCRIPT.canExecute(), "bin/discover-gpus must ship executable");
        Path path = fakeClinfo("cat <<'EOF'\n" + RAW + "\nEOF");
        String[] result = run(Map.of("PATH", path.toString()), true);
        assertEquals("0", result[0], result[2]);
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\",\"2\"]}", result[1]);
    }

    @Test
    void underTheTestSettingEveryDeviceIsListed() throws Exception {
        Path path = fakeClinfo("cat <<'EOF'\n" + RAW + "\nEOF");
        String[] result = run(Map.of("PATH", path.toString(), EngineSetting.environmentName(OpenClDevices.TEST_DEVICES_AS_GPUS), "true"), true);
        assertEquals("0", result[0], result[2]);
        assertEquals(addresses(5), result[1]);
    }

    /**
     * On this machine the script (through clinfo) and the engine (through Aparapi) count the same
     * GPUs, or, where clinfo cannot run (no OpenCL loader), the script fails and says so.
     */
    @Test
    void onThisMachineTheScriptAndTheEngineAgree() throws Exception {
        String[] result = run(Map.of(), false);
        if (result[0].equals("0")) {
            assertEquals(addresses(OpenClDevices.gpus().size()), result[1]);
        } else {
            assertEquals("1", result[0], result[2]);
            assertTrue(result[2].contains("clinfo"), result[2]);
            assertFalse(OpenClDevices.libraryAvailable() && hasClinfo(), "clinfo failed where OpenCL loads: " + result[2]);
        }
    }

    private static boolean hasClinfo() {
        return Files.isExecutable(Paths.get("/usr/bin/clinfo"));
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
        Path path = fakeClinfo("echo 'clGetPlatformIDs(-1001): no ICD' >&2\nexit 3");
        String[] result = run(Map.of("PATH", path.toString()), true);
        assertEquals("1", result[0]);
        assertEquals("", result[1]);
        assertTrue(result[2].contains("clinfo failed") && result[2].contains("no ICD"), result[2]);
    }
}
