package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.sparklayernorm.kernels.EngineSetting;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's GPU scheduling end to end, on a real standalone cluster: the Worker offers one GPU found by
 * {@code bin/discover-gpus}, the job's executors ask for it ({@code spark.executor.resource.gpu.amount=1})
 * and its tasks for half of it, and the stage, under backend {@code auto}, normalizes every row on the
 * OpenCL device at the address Spark assigned. PoCL's CPU device stands in for the GPU through the
 * test-only environment variable {@code SPARKLAYERNORM_TEST_DEVICES_AS_GPUS}, which the Worker's
 * discovery script and the executors' engine both read.
 */
@RequiresOpenClDevice
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class GpuSchedulingIT {

    @TempDir
    static Path dir;

    @Test
    void theStageRunsOnTheDeviceSparkAssigned() throws Exception {
        String script = Paths.get("..", "bin", "discover-gpus").toAbsolutePath().normalize().toString();
        String libjsig = Paths.get(System.getProperty("java.home"), "lib", "libjsig.so").toString();
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 1, 2,
                List.of("-Dspark.worker.resource.gpu.amount=1", "-Dspark.worker.resource.gpu.discoveryScript=" + script),
                Map.of(EngineSetting.environmentName(OpenClDevices.TEST_DEVICES_AS_GPUS), "true"))) {
            Process job = cluster.start("submit-gpu", "org.apache.spark.deploy.SparkSubmit",
                    "--master", cluster.masterUrl(),
                    "--conf", "spark.driver.host=127.0.0.1",
                    "--conf", "spark.ui.enabled=false",
                    "--conf", "spark.executor.memory=512m",
                    "--conf", "spark.executor.cores=2",
                    "--conf", "spark.executor.resource.gpu.amount=1",
                    "--conf", "spark.task.resource.gpu.amount=0.5",
                    "--conf", "spark.executorEnv." + EngineSetting.environmentName(OpenClDevices.TEST_DEVICES_AS_GPUS) + "=true",
                    "--conf", "spark.executorEnv.LD_PRELOAD=" + libjsig,
                    // Every batch on the device: without it, auto may measure the Java engine faster.
                    "--conf", "spark.layernorm.auto.calibrate=false",
                    "--conf", "spark.sql.files.maxPartitionBytes=1m",
                    "--class", LayerNormJob.class.getName(),
                    System.getProperty("job.jar"),
                    "--generate-sample", "20000x32", "--input", dir.resolve("input.parquet").toString(),
                    "--output", dir.resolve("output.parquet").toString(), "--input-col", "features",
                    "--backend", "auto");
            if (!job.waitFor(5, TimeUnit.MINUTES)) {
                fail("the job did not finish:\n" + cluster.logText("submit-gpu"));
            }
            String log = cluster.logText("submit-gpu");
            assertEquals(0, job.exitValue(), log);
            assertTrue(log.matches("(?s).*\\n  \\Qrows written:\\E +\\Q20000\\E\\n.*"), log);
            Matcher onDevice = Pattern.compile("rows on opencl: (.*): +(\\d+)").matcher(log);
            assertTrue(onDevice.find(), "rows counted on an OpenCL device:\n" + log);
            assertEquals("20000", onDevice.group(2), log);
            assertFalse(log.contains("rows on java"), log);
            String executors = cluster.executorLogs();
            assertTrue(executors.contains("on the GPU Spark assigned (address 0)"),
                    "the executor used the address Spark assigned:\n" + executors);
        }
    }
}
