package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A setting is a system property, else its environment variable: what a Spark executor can be given. */
class EngineSettingTest {

    @Test
    void eachPropertyHasOneEnvironmentName() {
        assertEquals("SPARKLAYERNORM_AUTO_USE_CPU_DEVICES", EngineSetting.environmentName("sparklayernorm.auto.useCpuDevices"));
        assertEquals("SPARKLAYERNORM_OPENCL_MAX_CONTEXTS_PER_DEVICE",
                EngineSetting.environmentName("sparklayernorm.opencl.maxContextsPerDevice"));
        assertEquals("SPARKLAYERNORM_SIMD", EngineSetting.environmentName("sparklayernorm.simd"));
    }

    @Test
    void theSystemPropertyComesFirst() {
        System.setProperty("sparklayernorm.test.setting", "from-property");
        try {
            assertEquals("from-property", EngineSetting.get("sparklayernorm.test.setting", "fallback"));
        } finally {
            System.clearProperty("sparklayernorm.test.setting");
        }
        assertEquals("fallback", EngineSetting.get("sparklayernorm.test.setting", "fallback"));
        assertEquals(7, EngineSetting.integer("sparklayernorm.test.setting", 7));
    }

    /** The environment is read in a JVM started with it, as a Spark executor is (spark.executorEnv). */
    @Test
    void anExecutorGetsItFromItsEnvironment() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Probe.class.getName());
        builder.environment().put("SPARKLAYERNORM_OPENCL_MAX_CONTEXTS_PER_DEVICE", "9");
        builder.environment().put("SPARKLAYERNORM_AUTO_USE_CPU_DEVICES", "TRUE");
        Process process = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("9 true", out);
    }

    /** Prints two settings as this JVM sees them. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println(EngineSetting.integer("sparklayernorm.opencl.maxContextsPerDevice", 4) + " "
                    + EngineSetting.flag("sparklayernorm.auto.useCpuDevices"));
        }
    }
}
