package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.ExactLayerNorm;
import io.github.sparklayernorm.kernels.Tolerance;
import io.github.sparklayernorm.ml.LayerNormalizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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
        // Heartbeats every 500 ms: the progress test sees running tasks' reports, not only ended tasks'.
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
                .config("spark.executor.heartbeatInterval", "500ms").getOrCreate();
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
        for (String figure : new String[] {"rows read: +500", "rows written: +500", "rows skipped: +0", "rows on java: +500"}) {
            assertTrue(java.util.regex.Pattern.compile("(?m)^  " + figure + "$").matcher(run.out).find(), run.out);
        }

        double[] scale = {1, 2, 3, 4, 5, 6, 7, 8};
        Map<Long, double[]> in = vectors(spark.read().parquet(sample), "features");
        Map<Long, double[]> got = vectors(spark.read().parquet(output), "ln");
        assertEquals(in.keySet(), got.keySet());
        in.forEach((id, x) -> Tolerance.assertDoubleRowClose("row " + id, got.get(id), 0,
                ExactLayerNorm.of(x, 1e-5, scale, null), scale, null));
    }

    /** A vector or array column by id. */
    private static Map<Long, double[]> vectors(Dataset<Row> df, String column) {
        Map<Long, double[]> byId = new TreeMap<>();
        for (Row r : df.select("id", column).collectAsList()) {
            Object v = r.get(1);
            byId.put(r.getLong(0), v instanceof Vector ? ((Vector) v).toArray()
                    : r.<Number>getList(1).stream().mapToDouble(Number::doubleValue).toArray());
        }
        return byId;
    }

    @Test
    void rmsWithWeightsFromASafetensorsFileAndTheInverseRmsColumn() {
        String output = dir.resolve("out-rms").toString();
        String weights = "../spark-core/src/test/resources/weights/model.safetensors:ln.weight";
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--norm", "rms", "--scale", weights, "--inv-std-dev-col", "invRms");
        assertEquals(0, run.code, run.err);
        // model.safetensors' ln.weight holds these (written by NumPy: make_fixtures.py).
        double[] scale = {-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0};
        Map<Long, double[]> in = vectors(spark.read().parquet(sample), "features");
        Map<Long, double[]> got = vectors(spark.read().parquet(output), "ln");
        Map<Long, Double> invRms = new TreeMap<>();
        spark.read().parquet(output).select("id", "invRms").collectAsList()
                .forEach(r -> invRms.put(r.getLong(0), r.getDouble(1)));
        in.forEach((id, x) -> {
            Tolerance.assertDoubleRowClose("row " + id, got.get(id), 0, ExactLayerNorm.rms(x, 1e-5, scale), scale, null);
            double exact = ExactLayerNorm.statistics(x, 1e-5, false)[1];
            assertEquals(exact, invRms.get(id), 1e-12 * exact, "inverse RMS of row " + id);
        });
    }

    @Test
    void scaleFromAShardedCheckpointByItsIndex() {
        String output = dir.resolve("out-sharded").toString();
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--scale", "../spark-core/src/test/resources/weights/sharded/model.safetensors.index.json:encoder.ln.weight");
        assertEquals(0, run.code, run.err);
        // The shard's encoder.ln.weight holds these (written by NumPy: make_fixtures.py).
        double[] scale = {-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0};
        Map<Long, double[]> in = vectors(spark.read().parquet(sample), "features");
        Map<Long, double[]> got = vectors(spark.read().parquet(output), "ln");
        in.forEach((id, x) -> Tolerance.assertDoubleRowClose("row " + id, got.get(id), 0,
                ExactLayerNorm.of(x, 1e-5, scale, null), scale, null));
    }

    @Test
    void groupsAndTheMeanColumn() {
        String output = dir.resolve("out-groups").toString();
        Run run = job("--input", sample, "--output", output, "--input-col", "features", "--output-col", "ln",
                "--group-size", "4", "--scale", "1,2,3,4", "--mean-col", "mean");
        assertEquals(0, run.code, run.err);
        double[] scale = {1, 2, 3, 4};
        Map<Long, double[]> in = vectors(spark.read().parquet(sample), "features");
        Map<Long, double[]> got = vectors(spark.read().parquet(output), "ln");
        Map<Long, double[]> means = vectors(spark.read().parquet(output), "mean");
        in.forEach((id, x) -> {
            assertEquals(2, means.get(id).length, "one mean per group of 4");
            for (int g = 0; g < 2; g++) {
                double[] group = java.util.Arrays.copyOfRange(x, 4 * g, 4 * g + 4);
                Tolerance.assertDoubleRowClose("row " + id + " group " + g, got.get(id), 4 * g,
                        ExactLayerNorm.of(group, 1e-5, scale, null), scale, null);
                double mean = ExactLayerNorm.statistics(group, 1e-5, true)[0];
                assertEquals(mean, means.get(id)[g], 1e-15 * Math.abs(mean), "mean of row " + id + " group " + g);
            }
        });
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
    void progressLinesAreConsistentAndEndWithTheSummarysRows() throws Exception {
        Path input = dir.resolve("progress-sample.parquet");
        Run generated = job("--generate-sample", "200000x32", "--input", input.toString(), "--output",
                dir.resolve("progress-first").toString(), "--input-col", "features", "--quiet");
        assertEquals(0, generated.code, generated.err);
        assertFalse(generated.err.contains("LayerNormJob progress"), "--quiet shows no progress: " + generated.err);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LayerNormJob.run(new String[] {"--input", input.toString(), "--output",
            dir.resolve("progress-out").toString(), "--input-col", "features", "--progress-interval", "0.2",
            "--batch-size", "64"}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        String printed = err.toString();
        List<String> lines = printed.lines().filter(l -> l.startsWith("LayerNormJob ")).collect(java.util.stream.Collectors.toList());
        assertTrue(lines.stream().anyMatch(l -> l.matches("LayerNormJob normalizing and writing: stage \\d+ done, \\d+ tasks? in .*")),
                printed);
        List<Long> rows = new java.util.ArrayList<>();
        java.util.regex.Pattern figure = java.util.regex.Pattern.compile("LayerNormJob progress: .*?([0-9,]+) rows");
        for (String line : lines) {
            java.util.regex.Matcher m = figure.matcher(line);
            if (m.find()) {
                rows.add(Long.parseLong(m.group(1).replace(",", "")));
            }
        }
        for (int i = 1; i < rows.size(); i++) {
            assertTrue(rows.get(i) >= rows.get(i - 1), "rows never go down: " + rows);
        }
        // A task's heartbeats and its end report one partition: counted once, never above the input.
        assertTrue(rows.stream().allMatch(r -> r <= 200_000), "rows never exceed the input: " + rows);
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("LayerNormJob progress: finished, 200,000 rows in "), printed);
        assertTrue(out.toString().matches("(?s).*\\n  \\Qrows read:\\E +\\Q200000\\E\\n.*"), out.toString());
        // The display stops with the job: nothing more is written afterwards.
        Thread.sleep(700);
        assertEquals(printed, err.toString());
    }

    @Test
    void versionIsTheBuildsVersion() throws IOException {
        Run run = job("--version");
        assertEquals(0, run.code, run.err);
        String pom = Files.readString(Path.of("..", "pom.xml"));
        java.util.regex.Matcher version = java.util.regex.Pattern
                .compile("<artifactId>spark-layernorm-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(version.find());
        assertTrue(run.out.startsWith("spark-layernorm LayerNormJob " + version.group(1) + " (built for Spark "), run.out);
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
        assertTrue(run.err.contains("has 8 values but scale/shift have 3"), run.err);
        assertFalse(Files.exists(output));
        assertNoStagingLeft();
    }

    @Test
    void aRunThatWouldWriteNothingFailsAndLeavesTheOldOutputAlone() throws IOException {
        Path output = dir.resolve("o4");
        Files.createDirectories(output);
        Files.writeString(output.resolve("old.txt"), "old");
        Run run = job("--input", sample, "--output", output.toString(), "--input-col", "features",
                "--scale", "1,2,3", "--handle-invalid", "skip", "--mode", "overwrite");
        assertEquals(1, run.code, run.out);
        assertTrue(run.err.contains("read 500 rows and would write none: 500 were skipped as invalid (length: 500)")
                && run.err.contains("--allow-empty-output"), run.err);
        assertEquals("old", Files.readString(output.resolve("old.txt")));
        assertNoStagingLeft();

        Run allowed = job("--input", sample, "--output", output.toString(), "--input-col", "features",
                "--scale", "1,2,3", "--handle-invalid", "skip", "--mode", "overwrite", "--allow-empty-output");
        assertEquals(0, allowed.code, allowed.err);
        assertTrue(allowed.out.matches("(?s).*\\n  \\Qrows skipped:\\E +\\Q500 (length: 500)\\E\\n.*") && allowed.out.matches("(?s).*\\n  \\Qrows written:\\E +\\Q0\\E\\n.*"),
                allowed.out);
        assertEquals(0, spark.read().parquet(output.toString()).count());
    }

    @Test
    void skippedAndKeptRowsAreCountedByReason() {
        Path input = dir.resolve("invalid-rows.parquet");
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.DoubleType, true));
        List<Row> rows = List.of(RowFactory.create(0L, List.of(1.0, 2.0)), RowFactory.create(1L, null),
                RowFactory.create(2L, List.of(1.0, Double.NaN)), RowFactory.create(3L, List.of(1.0, 2.0, 3.0)),
                RowFactory.create(4L, java.util.Arrays.asList(1.0, null)), RowFactory.create(5L, List.of(4.0, 8.0)));
        spark.createDataFrame(rows, schema).write().parquet(input.toString());

        Run skip = job("--input", input.toString(), "--output", dir.resolve("o6").toString(), "--input-col", "x",
                "--scale", "1,1", "--handle-invalid", "skip");
        assertEquals(0, skip.code, skip.err);
        assertTrue(skip.out.matches("(?s).*\\n  \\Qrows read:\\E +\\Q6\\E\\n.*") && skip.out.matches("(?s).*\\n  \\Qrows written:\\E +\\Q2\\E\\n.*")
                && skip.out.matches("(?s).*\\n  \\Qrows skipped:\\E +\\Q4 (length: 1, non-finite: 1, null: 2)\\E\\n.*"), skip.out);

        Run keep = job("--input", input.toString(), "--output", dir.resolve("o7").toString(), "--input-col", "x",
                "--scale", "1,1", "--handle-invalid", "keep");
        assertEquals(0, keep.code, keep.err);
        assertTrue(keep.out.matches("(?s).*\\n  \\Qrows written:\\E +\\Q6\\E\\n.*") && keep.out.matches("(?s).*\\n  \\Qrows skipped:\\E +\\Q0\\E\\n.*")
                && keep.out.matches("(?s).*\\n  \\Qrows kept with a null output:\\E +\\Q4 (length: 1, non-finite: 1, null: 2)\\E\\n.*"), keep.out);
        assertEquals(4, spark.read().parquet(dir.resolve("o7").toString()).where("x_normalized IS NULL").count());
    }

    @Test
    void aGlobReadsEveryMatchingInput() {
        Path output = dir.resolve("o8");
        Run run = job("--input", dir.resolve("sample.parq*").toString(), "--output", output.toString(),
                "--input-col", "features");
        assertEquals(0, run.code, run.err);
        assertTrue(run.out.matches("(?s).*\\n  \\Qrows written:\\E +\\Q500\\E\\n.*"), run.out);
        Run none = job("--input", dir.resolve("nothing-*.parquet").toString(), "--output", dir.resolve("o9").toString(),
                "--input-col", "features");
        assertEquals(1, none.code);
        assertTrue(none.err.contains("matches nothing"), none.err);
    }

    @Test
    void valuesTheStageWouldRefuseAreUsageErrors() {
        String[][] bad = {{"--backend", "gpu"}, {"--handle-invalid", "drop"}, {"--norm", "batch"},
            {"--epsilon", "NaN"}, {"--epsilon", "0"}, {"--epsilon", "-1e-5"}, {"--epsilon", "Infinity"},
            {"--batch-size", "0"}, {"--batch-size", "2000000000"}, {"--group-size", "0"},
            {"--generate-sample", "-5x3"}, {"--generate-sample", "10x0"}, {"--generate-sample", "1000000000x1000"},
            {"--generate-sample", "99999999999999999999x2"}, {"--generate-sample", "10"}};
        for (String[] option : bad) {
            Run run = job("--input", dir.resolve("never").toString(), "--output", dir.resolve("never-out").toString(),
                    "--input-col", "features", option[0], option[1]);
            assertEquals(2, run.code, String.join(" ", option) + ": " + run.err);
            assertTrue(run.err.contains("Usage:"), run.err);
        }
        assertFalse(Files.exists(dir.resolve("never")));
    }

    private static void assertNoStagingLeft() {
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("staging")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
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
