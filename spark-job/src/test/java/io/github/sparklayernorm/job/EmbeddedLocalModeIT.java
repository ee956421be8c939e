package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.ChildJvm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's main in a JVM of its own, with no master given: it runs embedded in local[*]. */
class EmbeddedLocalModeIT {

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static String sample;

    @BeforeAll
    static void generateSample() {
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        sample = dir.resolve("sample.parquet").toString();
        StringWriter err = new StringWriter();
        int code = LayerNormJob.run(new String[] {"--generate-sample", "500x8", "--input", sample,
            "--output", dir.resolve("first").toString(), "--input-col", "features"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
    }

    @Test
    void withoutAMasterTheJobRunsEmbeddedInLocalMode() throws Exception {
        String output = dir.resolve("embedded").toString();
        // Spark's JVM flags, as this test JVM got them.
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules")).collect(Collectors.toList());
        ChildJvm.Result run = ChildJvm.run(options, Map.of(), false, 180, LayerNormJob.class.getName(),
                "--input", sample, "--output", output, "--input-col", "features");
        String printed = run.output;
        assertEquals(0, run.exitCode, printed);
        assertTrue(printed.matches("(?s).*\\n  rows written: +500\\n.*"), printed);
        assertEquals(500, spark.read().parquet(output).count());
    }
}
