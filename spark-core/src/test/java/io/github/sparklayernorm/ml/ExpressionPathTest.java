package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.ml.exec.Execution;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.spark.SparkException;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The expression path: the stage as Catalyst expressions in Spark's plan, for the Java engine. It
 * gives the batched path's bits, Spark sees through it, and its counts and errors are those of the
 * batched path. Inputs are read from Parquet: rows a driver holds take the batched path.
 */
class ExpressionPathTest {

    private final SparkSession spark = SparkTestSession.get();

    @AfterEach
    void defaults() {
        spark.conf().unset(Execution.PATH_SETTING);
        spark.conf().unset("spark.sql.codegen.wholeStage");
        spark.conf().unset("spark.sql.codegen.factoryMode");
    }

    /** The rows written to Parquet and read back: a scan, as real inputs are. */
    private Dataset<Row> onDisk(Dataset<Row> rows) {
        try {
            String path = Files.createTempDirectory("ln-expr").resolve("in.parquet").toString();
            rows.write().parquet(path);
            return spark.read().parquet(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object[] cells(int n, int d, String kind, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Object[] cells = new Object[n];
        for (int i = 0; i < n; i++) {
            double[] v = new double[d];
            for (int j = 0; j < d; j++) {
                v[j] = 1e6 + random.nextDouble() * 3 - (i % 3 == 0 ? 0.0 : random.nextDouble());
            }
            switch (kind) {
                case "sparse":
                    v[i % d] = 0;
                    cells[i] = Vectors.dense(v).toSparse();
                    break;
                case "vector":
                    cells[i] = Vectors.dense(v);
                    break;
                case "floats":
                    float[] f = new float[d];
                    for (int j = 0; j < d; j++) {
                        f[j] = (float) (v[j] - 1e6);
                    }
                    cells[i] = f;
                    break;
                default:
                    cells[i] = v;
            }
        }
        return cells;
    }

    private List<Row> run(String path, Supplier<Dataset<Row>> query) {
        spark.conf().set(Execution.PATH_SETTING, path);
        return query.get().orderBy("id").collectAsList();
    }

    private static String plan(Dataset<Row> out) {
        return out.queryExecution().executedPlan().toString();
    }

    @Test
    void givesTheBatchedPathsBitsOnEveryColumnTypeNormAndGroup() {
        String[] kinds = {"vector", "sparse", "doubles", "floats"};
        for (String kind : kinds) {
            Dataset<Row> in = onDisk(frame(field("x", kind.equals("floats") ? FLOATS : kind.equals("doubles") ? DOUBLES
                    : VECTOR), cells(300, 8, kind, kind.hashCode())));
            RowNormalizer<?>[] stages = {
                new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java"),
                new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                        .setScale(new double[] {1, 2, 3, 4, 5, 6, 7, 8}).setShift(new double[] {0, 1, 0, 1, 0, 1, 0, 1}),
                new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java").setGroupSize(4),
                new RmsNormalizer().setInputCol("x").setOutputCol("y").setBackend("java").setEpsilon(1e-3),
            };
            for (RowNormalizer<?> stage : stages) {
                List<Row> expression = run("expression", () -> stage.transform(in));
                List<Row> batches = run("batches", () -> stage.transform(in));
                assertEquals(300, expression.size());
                for (int r = 0; r < expression.size(); r++) {
                    assertArrayEquals(TestRows.values(batches.get(r).get(2)), TestRows.values(expression.get(r).get(2)),
                            0.0, kind + " " + stage.explainParams());
                }
            }
        }
    }

    @Test
    void theStageIsAnExpressionInSparksPlanUnderWholeStageCodegen() {
        Dataset<Row> in = onDisk(frame(field("x", VECTOR), cells(50, 4, "vector", 3)));
        Dataset<Row> out = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java").transform(in);
        String plan = plan(out);
        assertTrue(plan.contains("sparklayernorm("), plan);
        assertTrue(plan.contains("*("), "the projection is code-generated: " + plan);
        assertFalse(plan.contains("Scan ExistingRDD"), "no detour through an RDD: " + plan);
    }

    @Test
    void autoWithoutAGpuTakesTheExpressionPath() {
        Dataset<Row> in = onDisk(frame(field("x", VECTOR), cells(20, 4, "vector", 4)));
        String plan = plan(new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(in));
        // PoCL's OpenCL device is a CPU: auto does not take it, so the Java engine's path is the plan.
        assertTrue(plan.contains("sparklayernorm("), plan);
    }

    @Test
    void interpretedEvaluationGivesTheSameBits() {
        Dataset<Row> in = onDisk(frame(field("x", FLOATS), cells(100, 16, "floats", 5)));
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
        List<Row> generated = run("expression", () -> ln.transform(in));
        spark.conf().set("spark.sql.codegen.wholeStage", "false");
        spark.conf().set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
        List<Row> interpreted = run("expression", () -> ln.transform(in));
        for (int r = 0; r < generated.size(); r++) {
            assertArrayEquals(TestRows.values(generated.get(r).get(2)), TestRows.values(interpreted.get(r).get(2)), 0.0);
        }
    }

    @Test
    void aQueryThatDropsTheOutputNormalizesNothing() {
        Dataset<Row> in = onDisk(frame(field("x", DOUBLES), cells(40, 3, "doubles", 6)));
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
        Dataset<Row> out = ln.transform(in);
        assertEquals(40, out.select("id").count());
        assertEquals(0, ln.rowsRead(), "Spark pruned the output column, and with it the stage");
        assertEquals(40, out.select("y").collectAsList().size());
        assertEquals(40, ln.rowsRead());
        assertEquals(Map.of("java", 40L), ln.rowsByBackend());
    }

    private Dataset<Row> mixed() {
        return onDisk(frame(field("x", DOUBLES),
                new double[] {1, 2, 3},
                null,
                new double[] {1, Double.NaN, 3},
                new double[0],
                new double[] {4, 5, 6},
                new double[] {1, 2},
                new double[] {7, 8, Double.NEGATIVE_INFINITY}).repartition(3));
    }

    @Test
    void skipIsAFilterAndEachRowCountsOnceHoweverManyQueries() {
        spark.conf().set(Execution.PATH_SETTING, "expression");
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                .setHandleInvalid("skip").setShift(new double[] {0, 0, 0});
        Dataset<Row> out = ln.transform(mixed());
        assertTrue(plan(out).contains("sparklayernorm_valid("), plan(out));
        assertEquals(List.of(0, 4), out.orderBy("id").select("id").collectAsList().stream().map(r -> r.getInt(0))
                .collect(Collectors.toList()));
        assertEquals(2, out.count());
        assertEquals(2, out.select("y").collectAsList().size());
        assertEquals(7, ln.rowsRead());
        assertEquals(Map.of("null", 1L, "non-finite", 2L, "length", 2L), ln.rowsSkippedByReason());
        assertEquals(Map.of("java", 2L), ln.rowsByBackend());
    }

    @ParameterizedTest
    @ValueSource(strings = {"expression", "batches"})
    void skippedRowsCountUnderNoBackendOnEitherPath(String path) {
        spark.conf().set(Execution.PATH_SETTING, path);
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                .setHandleInvalid("skip").setShift(new double[] {0, 0, 0});
        assertEquals(2, ln.transform(mixed()).select("y").collectAsList().size());
        assertEquals(7, ln.rowsRead());
        assertEquals(Map.of("null", 1L, "non-finite", 2L, "length", 2L), ln.rowsSkippedByReason());
        assertEquals(Map.of("java", 2L), ln.rowsByBackend(), "only the rows normalized count under their backend");
    }

    @ParameterizedTest
    @ValueSource(strings = {"expression", "batches"})
    void aSkippedRowCountsNoneOfItsCellsUnderABackendOnEitherPath(String path) {
        spark.conf().set(Execution.PATH_SETTING, path);
        StructType schema = new StructType(new StructField[] {
                field("id", DataTypes.IntegerType), field("x", DOUBLES), field("f", DOUBLES)});
        Dataset<Row> in = onDisk(frame(schema, List.of(
                RowFactory.create(0, new double[] {1, 2, 3}, new double[] {4, 5}),
                RowFactory.create(1, new double[] {1, Double.NaN, 3}, new double[] {4, 5}),
                RowFactory.create(2, new double[] {1, 2, 3}, new double[] {Double.POSITIVE_INFINITY, 5}),
                RowFactory.create(3, new double[] {7, 8, 9}, new double[] {6, 9}))).coalesce(1));
        LayerNormalizer ln = new LayerNormalizer().setInputCols(new String[] {"x", "f"})
                .setOutputCols(new String[] {"y", "g"}).setBackend("java").setHandleInvalid("skip");
        assertEquals(2, ln.transform(in).select("y", "g").collectAsList().size());
        assertEquals(4, ln.rowsRead());
        assertEquals(Map.of("non-finite", 2L), ln.rowsSkippedByReason());
        // Two rows of two columns each: the valid cell beside a NaN in a dropped row counts for none.
        assertEquals(Map.of("java", 4L), ln.rowsByBackend(), "only the cells of rows that leave the stage count");
    }

    @Test
    void keepGivesNullsCountedByReason() {
        spark.conf().set(Execution.PATH_SETTING, "expression");
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                .setHandleInvalid("keep").setShift(new double[] {0, 0, 0});
        List<Row> out = ln.transform(mixed()).orderBy("id").collectAsList();
        assertEquals(7, out.size());
        assertEquals(List.of(false, true, true, true, false, true, true),
                out.stream().map(r -> r.isNullAt(2)).collect(Collectors.toList()));
        assertEquals(Map.of("null", 1L, "non-finite", 2L, "length", 2L), ln.rowsKeptByReason());
        assertEquals(7, ln.rowsRead());
    }

    @Test
    void errorNamesTheColumnTheRowTheProblemAndTheFix() {
        spark.conf().set(Execution.PATH_SETTING, "expression");
        Dataset<Row> in = onDisk(frame(field("x", DOUBLES), new double[] {1, 2}, new double[] {1, Double.NaN})
                .coalesce(1));
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
        SparkException e = assertThrows(SparkException.class, () -> ln.transform(in).orderBy("id").collectAsList());
        String message = String.valueOf(e.getMessage()) + e.getCause();
        assertTrue(message.contains("input column 'x' in row 2 of partition 0 holds NaN at index 1"), message);
        assertTrue(message.contains("set handleInvalid to 'skip'"), message);
    }

    @Test
    void theSettingPicksThePathAndNamesItselfWhenWrong() {
        Dataset<Row> in = onDisk(frame(field("x", VECTOR), cells(10, 4, "vector", 7)));
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
        spark.conf().set(Execution.PATH_SETTING, "batches");
        assertFalse(plan(ln.transform(in)).contains("sparklayernorm("));
        spark.conf().set(Execution.PATH_SETTING, "cells");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> ln.transform(in));
        assertTrue(wrong.getMessage().contains("spark.layernorm.execution is 'cells'"), wrong.getMessage());
        spark.conf().set(Execution.PATH_SETTING, "expression");
        IllegalArgumentException stats = assertThrows(IllegalArgumentException.class,
                () -> ln.copy(new org.apache.spark.ml.param.ParamMap()).setMeanCol("m").transform(in));
        assertTrue(stats.getMessage().contains("statistics column"), stats.getMessage());
        // The statistics columns run batched under auto.
        spark.conf().set(Execution.PATH_SETTING, "auto");
        assertEquals(10, ln.copy(new org.apache.spark.ml.param.ParamMap()).setMeanCol("m").transform(in)
                .collectAsList().size());
    }

    @Test
    void outputsKeepTheirMetadataAndTheSchemaTransformSchemaPromised() {
        Dataset<Row> in = onDisk(frame(field("x", VECTOR), cells(5, 4, "vector", 8)));
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                .setScale(new double[] {1, 1, 1, 1});
        Dataset<Row> out = ln.transform(in);
        assertTrue(plan(out).contains("sparklayernorm("));
        assertEquals(ln.transformSchema(in.schema()), out.schema());
        assertEquals(4, org.apache.spark.ml.attribute.AttributeGroup.fromStructField(out.schema().apply("y")).size());
        assertEquals(5, out.filter(functions.col("y").isNotNull()).count());
    }
}
