package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.ml.LayerNormalizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch job in local mode, run in-process as spark-submit would call its main. */
class LayerNormJobTest {

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static String sample;

    /** What one run printed and returned. */
    private static final class Run {
        final int code;
        final String out;
        final String err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }
    }

    private static Run job(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LayerNormJob.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void generateSample() {
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        sample = dir.resolve("sample.parquet").toString();
        Run run = job("--generate-sample", "500x8", "--input", sample, "--output", dir.resolve("first").toString(),
                "--input-col", "features");
        assertEquals(0, run.code, run.err);
    }

    @Test
    void normalizesTheInputAsTheTransformerDoesAndPrintsTheSummary() {
        String output = dir.resolve("out-basic").toString();
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--scale", "1,2,3,4,5,6,7,8", "--backend", "java");
        assertEquals(0, run.code, run.err);
        assertTrue(run.out.contains("rows read:     500"), run.out);
        assertTrue(run.out.contains("rows written:  500"), run.out);
        assertTrue(run.out.contains("rows skipped:  0"), run.out);
        assertTrue(run.out.contains("rows on java: 500"), run.out);

        Dataset<Row> expected = new LayerNormalizer().setInputCol("features").setOutputCol("ln")
                .setScale(new double[] {1, 2, 3, 4, 5, 6, 7, 8}).transform(spark.read().parquet(sample));
        assertEquals(sorted(expected), sorted(spark.read().parquet(output)));
    }

    private static List<String> sorted(Dataset<Row> df) {
        return df.select("id", "ln").collectAsList().stream()
                .map(r -> r.getLong(0) + " " + java.util.Arrays.toString(((Vector) r.get(1)).toArray()))
                .sorted().collect(Collectors.toList());
    }

    @Test
    void rmsWithWeightsFromASafetensorsFileAndTheInverseRmsColumn() {
        String output = dir.resolve("out-rms").toString();
        String weights = "src/test/resources/weights/model.safetensors:ln.weight";
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--norm", "rms", "--scale", weights, "--inv-std-dev-col", "invRms");
        assertEquals(0, run.code, run.err);
        Dataset<Row> expected = new io.github.sparklayernorm.ml.RmsNormalizer().setInputCol("features").setOutputCol("ln")
                .setScale(io.github.sparklayernorm.weights.TensorFiles.read(weights)).setInvStdDevCol("invRms")
                .transform(spark.read().parquet(sample));
        assertEquals(sorted(expected), sorted(spark.read().parquet(output)));
        assertEquals(expected.select("id", "invRms").orderBy("id").collectAsList(),
                spark.read().parquet(output).select("id", "invRms").orderBy("id").collectAsList());
    }

    @Test
    void groupsAndTheMeanColumn() {
        String output = dir.resolve("out-groups").toString();
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--group-size", "4", "--scale", "1,2,3,4", "--mean-col", "mean");
        assertEquals(0, run.code, run.err);
        Row first = spark.read().parquet(output).orderBy("id").first();
        assertEquals(2, first.getList(first.fieldIndex("mean")).size(), "one mean per group of 4");
        assertEquals(1, job("--input", sample, "--output", dir.resolve("o5").toString(), "--input-col", "features",
                "--norm", "rms", "--shift", "1,2").code, "rms has no shift");
    }

    @Test
    void anExistingOutputIsLeftAloneWithoutOverwrite() throws IOException {
        Path output = dir.resolve("existing");
        Files.createDirectories(output);
        Files.writeString(output.resolve("keep.txt"), "precious");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features");
        assertEquals(1, run.code);
        assertTrue(run.err.contains("output " + output + " already exists; pass --mode overwrite"), run.err);
        assertEquals("precious", Files.readString(output.resolve("keep.txt")));
        try (Stream<Path> files = Files.list(output)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void overwriteReplacesAnExistingOutput() throws IOException {
        Path output = dir.resolve("replaced");
        Files.createDirectories(output);
        Files.writeString(output.resolve("old.txt"), "old");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features", "--mode", "overwrite");
        assertEquals(0, run.code, run.err);
        assertFalse(Files.exists(output.resolve("old.txt")));
        assertEquals(500, spark.read().parquet(output.toString()).count());
    }

    @Test
    void aMissingInputIsOneClearLine() {
        Run run = job("--input", dir.resolve("nothing-here").toString(), "--output", dir.resolve("o1").toString(),
                "--input-col", "features");
        assertEquals(1, run.code);
        assertTrue(run.err.trim().endsWith("does not exist"), run.err);
        assertFalse(Files.exists(dir.resolve("o1")));
    }

    @Test
    void anUnknownColumnIsOneClearLineAndNothingIsWritten() {
        Path output = dir.resolve("o2");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "nope");
        assertEquals(1, run.code);
        assertTrue(run.err.contains("input column 'nope' does not exist"), run.err);
        assertFalse(Files.exists(output));
    }

    @Test
    void badArgumentsPrintTheUsageAndExitTwo() {
        Run run = job("--input", sample, "--epsilon", "abc");
        assertEquals(2, run.code);
        assertTrue(run.err.contains("Usage:"), run.err);
        assertEquals(2, job("--input", sample, "--output", "x", "--input-col", "f", "--mode", "append").code);
    }

    @Test
    void aFailingJobLeavesNoOutputBehind() {
        Path output = dir.resolve("o3");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features",
                "--scale", "1,2,3");
        assertEquals(1, run.code);
        assertTrue(run.err.contains("has 8 values, but scale/shift have 3"), run.err);
        assertFalse(Files.exists(output));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("staging")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void skippedRowsAreInTheSummary() {
        Path output = dir.resolve("o4");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features",
                "--scale", "1,2,3", "--handle-invalid", "skip");
        assertEquals(0, run.code, run.err);
        assertTrue(run.out.contains("rows skipped:  500") && run.out.contains("rows written:  0"), run.out);
    }

    @Test
    void csvAndJsonOutputsHoldTheSameValues() throws IOException {
        Path scaleFile = dir.resolve("scale.txt");
        Files.writeString(scaleFile, "1 2 3 4\n5 6 7 8\n");
        for (String format : new String[] {"json", "csv"}) {
            Path output = dir.resolve("out." + format);
            Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features",
                    "--output-col", "ln", "--output-format", format, "--scale", scaleFile.toString());
            assertEquals(0, run.code, run.err);
            Path reread = dir.resolve("back-from-" + format);
            Run back = job("--input", output.toString(), "--input-format", format, "--output", reread.toString(),
                    "--input-col", "ln", "--output-col", "again");
            assertEquals(0, back.code, back.err);
            List<Row> rows = spark.read().parquet(reread.toString()).select("ln").limit(3).collectAsList();
            Dataset<Row> expected = new LayerNormalizer().setInputCol("features").setOutputCol("ln")
                    .setScale(new double[] {1, 2, 3, 4, 5, 6, 7, 8}).transform(spark.read().parquet(sample));
            assertEquals(3, rows.size());
            double[] first = ((Vector) expected.orderBy("id").first().getAs("ln")).toArray();
            List<Row> byId = spark.read().parquet(reread.toString()).orderBy("id").limit(1).collectAsList();
            List<Object> values = byId.get(0).getList(byId.get(0).fieldIndex("ln"));
            assertArrayEquals(first, values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray(), 0.0,
                    format + " keeps every bit");
        }
    }
}
