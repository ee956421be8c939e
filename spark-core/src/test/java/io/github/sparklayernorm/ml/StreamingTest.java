package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.OpenClTestSupport;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import io.github.sparklayernorm.ml.exec.Execution;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.feature.VectorSizeHint;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stages on Structured Streaming, as Spark's own {@code MLTest.testTransformer} checks MLlib's:
 * the same rows as a batch DataFrame and as a stream (a Parquet file source, one file per
 * micro-batch, into a memory sink) give the same output rows, bit for bit, on either execution
 * path; and {@code transform} runs no job on either.
 */
class StreamingTest {

    private static final int D = 8;
    private static final int FILES = 3;
    private static final int ROWS_PER_FILE = 40;
    private static final AtomicInteger QUERIES = new AtomicInteger();

    @TempDir
    Path folder;

    private static final StructType SCHEMA = new StructType(new StructField[] {
        field("id", DataTypes.IntegerType), field("x", VECTOR), field("f", FLOATS)});

    /**
     * Rows with offsets, sparse and dense vectors; with {@code invalid}, also a null cell, a NaN, an
     * infinity and a wrong length among them (rows whose id is a multiple of 7).
     */
    private static List<Row> rows(int file, boolean invalid) {
        SplittableRandom random = new SplittableRandom(31 + file);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS_PER_FILE; i++) {
            int id = file * ROWS_PER_FILE + i;
            double offset = (random.nextDouble() - 0.5) * 1e6;
            double[] x = new double[D];
            float[] f = new float[D];
            for (int j = 0; j < D; j++) {
                x[j] = offset + random.nextDouble();
                f[j] = (float) (offset / 1e3 + random.nextDouble());
            }
            Vector vector = id % 5 == 1 ? Vectors.sparse(D, new int[] {1, 4}, new double[] {x[1], x[4]})
                    : Vectors.dense(x);
            Object floats = f;
            if (invalid && id % 7 == 0) {
                switch ((id / 7) % 4) {
                    case 0:
                        vector = null;
                        break;
                    case 1:
                        x[2] = Double.NaN;
                        vector = Vectors.dense(x);
                        break;
                    case 2:
                        f[3] = Float.POSITIVE_INFINITY;
                        break;
                    default:
                        floats = Arrays.copyOf(f, D - 1);
                }
            }
            rows.add(RowFactory.create(id, vector, floats));
        }
        return rows;
    }

    /** The rows, as {@link #FILES} Parquet files in a folder of their own: one micro-batch each. */
    private Path input(boolean invalid) {
        Path dir = folder.resolve("input-" + QUERIES.incrementAndGet());
        for (int file = 0; file < FILES; file++) {
            TestRows.frame(SCHEMA, rows(file, invalid)).coalesce(1).write().mode("append")
                    .parquet(dir.toString());
        }
        return dir;
    }

    private static SparkSession spark() {
        return SparkTestSession.get();
    }

    private static Dataset<Row> batch(Path dir) {
        return spark().read().schema(SCHEMA).parquet(dir.toString());
    }

    private static Dataset<Row> stream(Path dir) {
        return spark().readStream().schema(SCHEMA).option("maxFilesPerTrigger", 1).parquet(dir.toString());
    }

    /** The stream through {@code stage} into a memory sink, every file read; the sink's rows by id. */
    private List<Row> runStream(Transformer stage, Dataset<Row> stream) throws Exception {
        String name = "normalized_" + QUERIES.incrementAndGet();
        StreamingQuery query = stage.transform(stream).writeStream().format("memory").queryName(name)
                .option("checkpointLocation", folder.resolve(name).toString())
                .outputMode("append").trigger(Trigger.AvailableNow()).start();
        try {
            assertTrue(query.awaitTermination(120_000), "the stream did not finish its files");
        } finally {
            query.stop();
        }
        return byId(spark().table(name));
    }

    private static List<Row> byId(Dataset<Row> frame) {
        List<Row> rows = new ArrayList<>(frame.collectAsList());
        rows.sort(Comparator.comparingInt(r -> r.getInt(r.fieldIndex("id"))));
        return rows;
    }

    /** Row by row, field by field; vectors and arrays value by value, as bits. */
    private static void assertSameBits(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size(), "rows");
        for (int r = 0; r < expected.size(); r++) {
            Row e = expected.get(r);
            Row a = actual.get(r);
            assertEquals(Arrays.asList(e.schema().fieldNames()), Arrays.asList(a.schema().fieldNames()));
            for (int c = 0; c < e.length(); c++) {
                String where = "row " + e.get(0) + ", column " + e.schema().fieldNames()[c];
                Object ev = e.get(c);
                Object av = a.get(c);
                if (ev == null || av == null) {
                    assertEquals(ev, av, where);
                } else if (ev instanceof Vector || ev instanceof scala.collection.Seq) {
                    long[] eb = bits(TestRows.values(ev));
                    long[] ab = bits(TestRows.values(av));
                    assertArrayEquals(eb, ab, where);
                    assertEquals(ev.getClass(), av.getClass(), where);
                } else if (ev instanceof Double) {
                    assertEquals(Double.doubleToRawLongBits((Double) ev), Double.doubleToRawLongBits((Double) av), where);
                } else {
                    assertEquals(ev, av, where);
                }
            }
        }
    }

    private static long[] bits(double[] values) {
        long[] bits = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Double.doubleToRawLongBits(values[i]);
        }
        return bits;
    }

    /** A stage with its configuration's name, and whether its input holds invalid rows. */
    private static Arguments stage(String name, boolean invalid, Supplier<RowNormalizer<?>> stage) {
        return Arguments.of(name, invalid, stage);
    }

    static Stream<Arguments> stages() {
        double[] scale = new double[D];
        double[] shift = new double[D];
        for (int j = 0; j < D; j++) {
            scale[j] = 0.5 + j / 4.0;
            shift[j] = j - 3.5;
        }
        double[] groupScale = Arrays.copyOf(scale, 4);
        return Stream.of(
            stage("vector, java", false, () -> new LayerNormalizer().setInputCol("x").setOutputCol("y")
                    .setBackend("java")),
            stage("array<float>, auto, scale and shift", false, () -> new LayerNormalizer().setInputCol("f")
                    .setOutputCol("g").setScale(scale).setShift(shift)),
            stage("two columns, auto", false, () -> new LayerNormalizer()
                    .setInputCols(new String[] {"x", "f"}).setOutputCols(new String[] {"y", "g"})),
            stage("groups, mean and invStdDev columns", false, () -> new LayerNormalizer().setInputCol("x")
                    .setOutputCol("y").setGroupSize(4).setScale(groupScale).setMeanCol("mean")
                    .setInvStdDevCol("inv")),
            stage("rms, invStdDev column", false, () -> new RmsNormalizer().setInputCol("f").setOutputCol("g")
                    .setInvStdDevCol("inv").setScale(scale)),
            stage("skip", true, () -> new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                    .setOutputCols(new String[] {"y", "g"}).setHandleInvalid("skip").setBackend("java")),
            stage("keep, one column", true, () -> new RmsNormalizer().setInputCol("f").setOutputCol("g")
                    .setHandleInvalid("keep")),
            stage("keep, two columns", true, () -> new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                    .setOutputCols(new String[] {"y", "g"}).setHandleInvalid("keep").setBackend("java")));
    }

    /** Each configuration on the path Spark picks for it, then on the batched path. */
    static Stream<Arguments> stagesOnBothPaths() {
        return stages().flatMap(a -> Stream.of("auto", "batches").map(path -> {
            Object[] args = a.get();
            return Arguments.of(args[0], args[1], args[2], path);
        }));
    }

    @ParameterizedTest(name = "{0}, execution {3}")
    @MethodSource("stagesOnBothPaths")
    void aStreamGivesTheBatchOutputBitForBit(String name, boolean invalid, Supplier<RowNormalizer<?>> stage,
                                             String path) throws Exception {
        Path dir = input(invalid);
        spark().conf().set(Execution.PATH_SETTING, path);
        try {
            List<Row> expected = byId(stage.get().transform(batch(dir)));
            RowNormalizer<?> streamed = stage.get();
            List<Row> actual = runStream(streamed, stream(dir));
            assertSameBits(expected, actual);
        } finally {
            spark().conf().unset(Execution.PATH_SETTING);
        }
    }

    @Test
    @RequiresOpenClDevice
    void theOpenClBackendStreamsInBatchesAndGivesItsBatchOutput() throws Exception {
        OpenClTestSupport.requireDevice();
        Path dir = input(false);
        Supplier<LayerNormalizer> stage = () -> new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                .setOutputCols(new String[] {"y", "g"}).setBackend("opencl");
        List<Row> expected = byId(stage.get().transform(batch(dir)));
        LayerNormalizer streamed = stage.get();
        assertSameBits(expected, runStream(streamed, stream(dir)));
        Map<String, Long> counts = streamed.rowsByBackend();
        assertEquals(1, counts.size(), counts.toString());
        assertTrue(counts.keySet().iterator().next().startsWith("opencl: "), counts.toString());
        assertEquals(2L * FILES * ROWS_PER_FILE, counts.values().iterator().next());
    }

    /** skip's and keep's counts add up over the micro-batches, read as on a batch result. */
    @ParameterizedTest(name = "execution {0}")
    @MethodSource("paths")
    void countsAddUpOverMicroBatches(String path) throws Exception {
        Path dir = input(true);
        spark().conf().set(Execution.PATH_SETTING, path);
        try {
            LayerNormalizer onBatch = new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                    .setOutputCols(new String[] {"y", "g"}).setHandleInvalid("skip").setBackend("java");
            long kept = onBatch.transform(batch(dir)).collectAsList().size();
            LayerNormalizer onStream = new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                    .setOutputCols(new String[] {"y", "g"}).setHandleInvalid("skip").setBackend("java");
            assertEquals(kept, runStream(onStream, stream(dir)).size());
            assertEquals(FILES * ROWS_PER_FILE, onStream.rowsRead());
            assertEquals(onBatch.rowsRead(), onStream.rowsRead());
            assertEquals(onBatch.rowsSkippedByReason(), onStream.rowsSkippedByReason());
            assertEquals(FILES * ROWS_PER_FILE - kept, onStream.rowsSkipped());
            assertEquals(onBatch.rowsByBackend(), onStream.rowsByBackend());

            RmsNormalizer keepOnBatch = new RmsNormalizer().setInputCol("f").setOutputCol("g").setHandleInvalid("keep")
                    .setBackend("java");
            keepOnBatch.transform(batch(dir)).collectAsList();
            RmsNormalizer keepOnStream = new RmsNormalizer().setInputCol("f").setOutputCol("g").setHandleInvalid("keep")
                    .setBackend("java");
            runStream(keepOnStream, stream(dir));
            assertTrue(!keepOnStream.rowsKeptByReason().isEmpty());
            assertEquals(keepOnBatch.rowsKeptByReason(), keepOnStream.rowsKeptByReason());
            assertEquals(FILES * ROWS_PER_FILE, keepOnStream.rowsRead());
        } finally {
            spark().conf().unset(Execution.PATH_SETTING);
        }
    }

    static Stream<String> paths() {
        return Stream.of("auto", "batches");
    }

    /** handleInvalid 'error' stops the query, with the stage's own message: stage, column, row and fix. */
    @ParameterizedTest(name = "execution {0}")
    @MethodSource("paths")
    void anInvalidRowStopsTheQueryWithTheStagesMessage(String path) throws Exception {
        Path dir = input(true);
        spark().conf().set(Execution.PATH_SETTING, path);
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
        String name = "failing_" + QUERIES.incrementAndGet();
        StreamingQuery query;
        try {
            query = ln.transform(stream(dir)).writeStream().format("memory").queryName(name)
                    .option("checkpointLocation", folder.resolve(name).toString()).trigger(Trigger.AvailableNow()).start();
        } finally {
            spark().conf().unset(Execution.PATH_SETTING);
        }
        StreamingQueryException e = assertThrows(StreamingQueryException.class, () -> query.awaitTermination(120_000));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        String all = messages.toString();
        assertTrue(all.contains(ln.toString()), all);
        assertTrue(all.matches("(?s).*input column 'x' in row \\d+ of partition \\d+ .*"), all);
        assertTrue(all.contains("Fix the data, or set handleInvalid to 'skip'"), all);
    }

    /**
     * A saved pipeline (VectorAssembler, then the stage) scores a stream as it scores a batch. On a
     * stream, MLlib's VectorAssembler needs each vector column's size up front: VectorSizeHint says it.
     */
    @Test
    void aSavedPipelineScoresAStream() throws Exception {
        Path dir = input(false);
        VectorSizeHint size = new VectorSizeHint().setInputCol("x").setSize(D);
        VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x", "id"})
                .setOutputCol("features");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {size, assembler,
            new LayerNormalizer().setInputCol("features").setOutputCol("normalized")});
        String saved = folder.resolve("pipeline").toString();
        pipeline.fit(batch(dir)).write().save(saved);
        PipelineModel model = PipelineModel.load(saved);
        List<Row> expected = byId(model.transform(batch(dir)));
        PipelineModel loaded = PipelineModel.load(saved);
        assertSameBits(expected, runStream(loaded, stream(dir)));
        assertEquals(FILES * ROWS_PER_FILE, ((LayerNormalizer) loaded.stages()[2]).rowsRead());
    }

    /**
     * transform only builds a plan: no job on either path, on a stream or on a batch whose plan
     * has a shuffle (which Spark runs as soon as anything asks for the plan's RDD).
     */
    @ParameterizedTest(name = "execution {0}")
    @MethodSource("paths")
    void transformRunsNoJob(String path) throws TimeoutException {
        Path dir = input(false);
        AtomicInteger jobs = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                jobs.incrementAndGet();
            }
        };
        Dataset<Row> shuffled = batch(dir).repartition(3);
        Dataset<Row> stream = stream(dir);
        spark().sparkContext().listenerBus().waitUntilEmpty();
        spark().sparkContext().addSparkListener(listener);
        spark().conf().set(Execution.PATH_SETTING, path);
        try {
            for (Dataset<Row> input : List.of(shuffled, stream)) {
                new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(input);
                new LayerNormalizer().setInputCol("x").setOutputCol("y").setMeanCol("mean").transform(input);
            }
            spark().sparkContext().listenerBus().waitUntilEmpty();
            assertEquals(0, jobs.get(), "jobs run by transform");
        } finally {
            spark().conf().unset(Execution.PATH_SETTING);
            spark().sparkContext().removeSparkListener(listener);
        }
    }
}
