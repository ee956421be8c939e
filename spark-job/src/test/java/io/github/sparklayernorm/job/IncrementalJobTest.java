package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.ml.LayerNormalizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's --incremental runs, in-process: new files only, each row written once, checkpoints kept apart. */
class IncrementalJobTest {

    @TempDir
    Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
    }

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
    }

    static Run job(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LayerNormJob.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.LongType, false),
        DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});

    /** Rows {@code from} to {@code to - 1}, landed in {@code folder} as {@code files} new Parquet files. */
    static void land(SparkSession spark, Path folder, long from, long to, int files) {
        SplittableRandom random = new SplittableRandom(from);
        List<Row> rows = new ArrayList<>();
        for (long id = from; id < to; id++) {
            double offset = 1e5 * (random.nextDouble() - 0.5);
            double[] x = new double[16];
            for (int j = 0; j < x.length; j++) {
                x[j] = offset + random.nextDouble();
            }
            rows.add(RowFactory.create(id, Vectors.dense(x)));
        }
        spark.createDataFrame(rows, SCHEMA).repartition(files).write().mode("append").parquet(folder.toString());
    }

    private String[] args(Path input, Path output, Path checkpoint, String... more) {
        List<String> args = new ArrayList<>(List.of("--incremental", "--checkpoint", checkpoint.toString(),
                "--input", input.toString(), "--output", output.toString(), "--input-col", "features",
                "--output-col", "ln", "--backend", "java"));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    private static Map<Long, double[]> byId(Dataset<Row> frame, String column) {
        Map<Long, double[]> rows = new TreeMap<>();
        for (Row r : frame.select("id", column).collectAsList()) {
            double[] previous = rows.put(r.getLong(0), ((Vector) r.get(1)).toArray());
            assertEquals(null, previous, "row " + r.getLong(0) + " written twice");
        }
        return rows;
    }

    @Test
    void threeRunsWithNewFilesBetweenThemWriteEveryRowOnce() {
        Path input = dir.resolve("landing");
        Path output = dir.resolve("normalized");
        Path checkpoint = dir.resolve("checkpoint");
        land(spark, input, 0, 300, 3);
        Run first = job(args(input, output, checkpoint));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().matches("(?s).*\\n  rows read: +300\\n.*"), first.out());
        assertTrue(first.out().matches("(?s).*\\n  rows written: +300\\n.*"), first.out());
        // Progress as on a batch run: its last line is the rows read.
        assertTrue(first.err().contains("LayerNormJob progress: finished, 300 rows"), first.err());

        land(spark, input, 300, 420, 2);
        Run second = job(args(input, output, checkpoint, "--files-per-batch", "1"));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().matches("(?s).*\\n  rows read: +120\\n.*"), second.out());
        assertTrue(second.out().matches("(?s).*\\n  rows written: +120\\n.*"), second.out());

        Run nothingNew = job(args(input, output, checkpoint));
        assertEquals(0, nothingNew.code(), nothingNew.err());
        assertTrue(nothingNew.out().matches("(?s).*\\n  rows written: +0\\n.*"), nothingNew.out());

        land(spark, input, 420, 500, 1);
        Run third = job(args(input, output, checkpoint));
        assertEquals(0, third.code(), third.err());
        assertTrue(third.out().matches("(?s).*\\n  rows written: +80\\n.*"), third.out());

        // Every row once, with the bits of the stage run over the whole input as a batch.
        Map<Long, double[]> written = byId(spark.read().parquet(output.toString()), "ln");
        Map<Long, double[]> expected = byId(new LayerNormalizer().setInputCol("features").setOutputCol("ln")
                .setBackend("java").transform(spark.read().parquet(input.toString())), "ln");
        assertEquals(expected.keySet(), written.keySet());
        assertEquals(500, written.size());
        expected.forEach((id, values) -> assertArrayEquals(values, written.get(id), 0.0, "row " + id));
    }

    @Test
    void aCheckpointServesOnlyTheInputAndOutputItWasMadeFor() {
        Path input = dir.resolve("a");
        Path other = dir.resolve("b");
        Path output = dir.resolve("a-normalized");
        Path checkpoint = dir.resolve("a-checkpoint");
        land(spark, input, 0, 50, 1);
        land(spark, other, 50, 100, 1);
        assertEquals(0, job(args(input, output, checkpoint)).code());

        Run otherInput = job(args(other, output, checkpoint));
        assertEquals(1, otherInput.code());
        assertTrue(otherInput.err().contains("checkpoint " + checkpoint + " belongs to input file:" + input), otherInput.err());

        Run otherOutput = job(args(input, dir.resolve("elsewhere"), checkpoint));
        assertEquals(1, otherOutput.code());
        assertTrue(otherOutput.err().contains("belongs to output"), otherOutput.err());

        Run newCheckpoint = job(args(input, output, dir.resolve("new-checkpoint")));
        assertEquals(1, newCheckpoint.code());
        assertTrue(newCheckpoint.err().contains("holds the work of another checkpoint"), newCheckpoint.err());

        Run batchOutput = job(args(input, dir.resolve("batch-output"), dir.resolve("c3")));
        assertEquals(0, batchOutput.code(), batchOutput.err());
        assertEquals(50, spark.read().parquet(output.toString()).count(), "the refused runs wrote nothing");
    }

    @Test
    void incrementalOptionsGoTogether() {
        Path input = dir.resolve("in");
        land(spark, input, 0, 10, 1);
        Run noCheckpoint = job("--incremental", "--input", input.toString(), "--output", dir.resolve("o").toString(),
                "--input-col", "features");
        assertEquals(2, noCheckpoint.code());
        assertTrue(noCheckpoint.err().contains("--incremental needs --checkpoint DIR"), noCheckpoint.err());
        Run checkpointAlone = job("--checkpoint", dir.resolve("c").toString(), "--input", input.toString(),
                "--output", dir.resolve("o").toString(), "--input-col", "features");
        assertEquals(2, checkpointAlone.code());
        assertTrue(checkpointAlone.err().contains("--checkpoint is for --incremental runs"), checkpointAlone.err());
        Run overwrite = job(args(input, dir.resolve("o"), dir.resolve("c"), "--mode", "overwrite"));
        assertEquals(2, overwrite.code());
        assertTrue(overwrite.err().contains("--incremental appends to --output"), overwrite.err());
    }

    /** The folders of one incremental output, after a first run over {@code rows} rows landed in one file. */
    private record Started(Path input, Path output, Path checkpoint) {
    }

    private Started firstRun(long rows) {
        Started started = new Started(dir.resolve("landing"), dir.resolve("normalized"), dir.resolve("checkpoint"));
        land(spark, started.input(), 0, rows, 1);
        assertEquals(0, job(args(started.input(), started.output(), started.checkpoint())).code());
        return started;
    }

    /**
     * A file that lands with an old modification time (cp -p, rsync -a, a restore) after a run has
     * seen newer ones: the file source's age limit would skip it for ever; the next run reads it.
     */
    @Test
    void aFileLandedWithAnOldModificationTimeIsRead() throws Exception {
        Started run = firstRun(100);
        Path input = run.input();

        Path elsewhere = dir.resolve("restored");
        land(spark, elsewhere, 100, 160, 1);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(elsewhere)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList()) {
                Path landed = input.resolve("restored-" + file.getFileName());
                java.nio.file.Files.copy(file, landed);
                java.nio.file.Files.setLastModifiedTime(landed,
                        java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2019-05-01T00:00:00Z")));
            }
        }
        Run second = job(args(input, run.output(), run.checkpoint()));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().matches("(?s).*\\n  rows written: +60\\n.*"), second.out());
        assertEquals(160, spark.read().parquet(run.output().toString()).count());
    }

    /** An output deleted while its checkpoint is kept: a run would rebuild it from new files only. */
    @Test
    void anOutputDeletedWhileItsCheckpointIsKeptIsRefused() throws Exception {
        Started started = firstRun(50);
        Path input = started.input();
        Path output = started.output();
        Path checkpoint = started.checkpoint();
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(output)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        land(spark, input, 50, 80, 1);
        Run run = job(args(input, output, checkpoint));
        assertEquals(1, run.code(), run.err());
        assertTrue(run.err().contains("output " + output + " no longer exists, but checkpoint " + checkpoint)
                && run.err().contains("new --checkpoint"), run.err());
        assertTrue(!java.nio.file.Files.exists(output), "nothing was written");
    }
}
