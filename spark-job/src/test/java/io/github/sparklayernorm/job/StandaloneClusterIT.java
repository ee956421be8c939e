package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch job submitted through SparkSubmit to a real standalone cluster (a Master and two
 * Workers, separate JVMs on 127.0.0.1), checked row by row against a local-mode run of the same
 * input; once as is, once with an executor killed (kill -9) in the middle of the job.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class StandaloneClusterIT {

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static StandaloneCluster cluster;
    private static String input;
    private static List<String> localOutput;

    @BeforeAll
    static void startClusterAndComputeTheLocalReference() throws Exception {
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        input = dir.resolve("input.parquet").toString();
        String local = dir.resolve("local-out").toString();
        StringWriter err = new StringWriter();
        int code = LayerNormJob.run(new String[] {"--generate-sample", "300000x32", "--input", input,
            "--output", local, "--input-col", "features", "--backend", "java"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        localOutput = rows(local);
        cluster = new StandaloneCluster(dir.resolve("cluster"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> rows(String path) {
        return spark.read().parquet(path).select("id", "features_normalized").collectAsList().stream()
                .map(r -> r.getLong(0) + " " + Arrays.toString(((Vector) r.get(1)).toArray()))
                .sorted().collect(Collectors.toList());
    }

    private static Process submit(String name, String output) throws IOException {
        String libjsig = Paths.get(System.getProperty("java.home"), "lib", "libjsig.so").toString();
        return cluster.start(name, "org.apache.spark.deploy.SparkSubmit",
                "--master", cluster.masterUrl(),
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executorEnv.LD_PRELOAD=" + libjsig,
                // Many small tasks, so that a killed executor leaves work to redo.
                "--conf", "spark.sql.files.maxPartitionBytes=1m",
                "--class", LayerNormJob.class.getName(),
                System.getProperty("job.jar"),
                "--input", input, "--output", output, "--input-col", "features", "--backend", "java");
    }

    private static void assertSucceeded(String name, Process process) throws InterruptedException {
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            fail(name + " did not finish:\n" + cluster.logText(name));
        }
        assertEquals(0, process.exitValue(), name + " failed (" + process.info().commandLine().orElse("?") + "):\n"
                + cluster.logText(name));
        // Counted three ways, each once however often Spark ran a task: rows read (the stage's
        // accumulator), rows per backend (the same), rows written (read back from the output).
        String log = cluster.logText(name);
        assertTrue(log.matches("(?s).*\\n  rows written: +300000\\n.*"), log);
        assertTrue(log.matches("(?s).*\\n  rows read: +300000\\n.*"), log);
        assertTrue(log.matches("(?s).*rows on java: +300000\n.*") && !log.contains("rows on opencl"), log);
    }

    @Test
    void theJobOnTheClusterWritesTheSameRowsAsInLocalMode() throws Exception {
        String output = dir.resolve("cluster-out").toString();
        assertSucceeded("submit-plain", submit("submit-plain", output));
        assertEquals(localOutput, rows(output));
    }

    @Test
    void killingAnExecutorMidJobLosesNothing() throws Exception {
        String output = dir.resolve("killed-out").toString();
        Process job = submit("submit-killed", output);
        ProcessHandle victim = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (victim == null && job.isAlive() && System.nanoTime() < deadline) {
            Optional<ProcessHandle> executor = cluster.anyExecutor();
            if (executor.isPresent() && writingHasStarted("killed-out")) {
                victim = executor.get();
                victim.destroyForcibly(); // SIGKILL: kill -9
            } else {
                Thread.sleep(100);
            }
        }
        assertTrue(victim != null, "no executor was caught mid-job:\n" + cluster.logText("submit-killed"));
        long killed = victim.pid();
        victim.onExit().get(30, TimeUnit.SECONDS);
        assertFalse(victim.isAlive(), "executor " + killed + " still alive");
        assertSucceeded("submit-killed", job);
        assertTrue(cluster.logText("submit-killed").contains("Lost executor"),
                "the driver saw the executor go:\n" + cluster.logText("submit-killed"));
        assertEquals(localOutput, rows(output), "the output is complete and identical");
    }

    /** Whether some task has started writing the job's output (into its staging folder). */
    private static boolean writingHasStarted(String outputName) throws IOException {
        try (Stream<Path> siblings = Files.list(dir)) {
            List<Path> staging = siblings.filter(p -> p.getFileName().toString().startsWith("." + outputName + ".staging-"))
                    .collect(Collectors.toList());
            for (Path s : staging) {
                try (Stream<Path> files = Files.walk(s)) {
                    if (files.anyMatch(p -> p.getFileName().toString().startsWith("part-"))) {
                        return true;
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // the folder changes while we look: try again
                }
            }
        }
        return false;
    }

}
