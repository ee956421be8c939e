package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.ChildJvm;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An incremental run killed (SIGKILL) between its micro-batches, then run again: the output holds
 * every input row once, nothing lost, nothing twice.
 */
class IncrementalKillIT {

    private static final int FILES = 24;
    private static final int ROWS = 12_000;

    @TempDir
    Path dir;

    @Test
    void aRunKilledMidWayAndRunAgainLosesAndDuplicatesNothing() throws Exception {
        SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
                .getOrCreate();
        Path input = dir.resolve("landing");
        Path output = dir.resolve("normalized");
        Path checkpoint = dir.resolve("checkpoint");
        IncrementalJobTest.land(spark, input, 0, ROWS, FILES);
        List<String> args = List.of("--incremental", "--checkpoint", checkpoint.toString(), "--files-per-batch", "2",
                "--input", input.toString(), "--output", output.toString(), "--input-col", "features",
                "--backend", "java", "--quiet");
        // Spark's JVM flags, as this test JVM got them.
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules")).collect(Collectors.toList());

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LayerNormJob.class.getName()));
        command.addAll(args);
        Path log = dir.resolve("killed-run.log");
        Process run = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path firstCommit = output.resolve(IncrementalOutput.SINK_LOG).resolve("0");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!Files.exists(firstCommit) && run.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(run.isAlive(), "the run ended before it could be killed: " + Files.readString(log));
        assertTrue(Files.exists(firstCommit), "no micro-batch committed in time: " + Files.readString(log));
        run.destroyForcibly();
        assertTrue(run.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, run.exitValue(), "killed by SIGKILL");

        long committed = spark.read().parquet(output.toString()).count();
        assertTrue(committed > 0 && committed < ROWS, "killed mid-way: " + committed + " rows committed");

        ChildJvm.Result again = ChildJvm.run(options, Map.of(), false, 300, LayerNormJob.class.getName(),
                args.toArray(new String[0]));
        assertEquals(0, again.exitCode, again.output);
        assertTrue(again.output.matches("(?s).*\\n  rows written: +" + (ROWS - committed) + "\\n.*"), again.output);

        long rows = spark.read().parquet(output.toString()).count();
        long ids = spark.read().parquet(output.toString()).select(functions.countDistinct("id")).first().getLong(0);
        assertEquals(ROWS, rows, "rows in the output");
        assertEquals(ROWS, ids, "distinct ids in the output");
    }
}
