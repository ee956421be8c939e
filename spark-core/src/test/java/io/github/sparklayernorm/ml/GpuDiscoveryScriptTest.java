package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The discovery script shipped in bin/ lists as many GPUs as the engine's device mapping sees. */
class GpuDiscoveryScriptTest {

    @Test
    void scriptPrintsOneAddressPerOpenClGpuInSparksFormat() throws Exception {
        File script = new File("../bin/discover-gpus");
        assertTrue(script.canExecute(), "bin/discover-gpus must ship executable");
        Process process = new ProcessBuilder(script.getPath()).redirectErrorStream(false).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        String json = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        StringBuilder expected = new StringBuilder("{\"name\":\"gpu\",\"addresses\":[");
        int gpus = OpenClDevices.gpus().size();
        for (int i = 0; i < gpus; i++) {
            expected.append(i == 0 ? "" : ",").append('"').append(i).append('"');
        }
        assertEquals(expected.append("]}").toString(), json);
    }
}
