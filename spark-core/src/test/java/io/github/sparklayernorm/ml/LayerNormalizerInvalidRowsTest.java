package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class LayerNormalizerInvalidRowsTest {

    private static LayerNormalizer normalizer(String handleInvalid) {
        return new LayerNormalizer().setInputCol("x").setOutputCol("y").setHandleInvalid(handleInvalid);
    }

    /** The whole message chain of a failed job: Spark wraps the task's exception. */
    private static String failureOf(Dataset<Row> df, LayerNormalizer ln) {
        Exception e = assertThrows(Exception.class, () -> ln.transform(df).collectAsList());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private static void assertErrorSays(Dataset<Row> df, LayerNormalizer ln, String problem) {
        String message = failureOf(df, ln);
        assertTrue(message.contains("input column 'x'"), message);
        assertTrue(message.contains(problem), message);
        assertTrue(message.contains("set handleInvalid to 'skip'") && message.contains("'keep'"), message);
    }

    @Test
    void errorModeNamesTheColumnTheRowAndTheProblem() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2), Vectors.dense(1, Double.NaN, 3));
        String message = failureOf(df.repartition(1), normalizer("error"));
        assertTrue(message.contains("input column 'x' in row 2 of partition 0 holds NaN at index 1"), message);
    }

    @Test
    void errorModeRefusesANullValue() {
        assertErrorSays(frame(field("x", VECTOR), (Object) null), normalizer("error"), "is null");
    }

    @Test
    void errorModeRefusesAnEmptyRow() {
        assertErrorSays(frame(field("x", DOUBLES), (Object) new double[0]), normalizer("error"), "is empty");
    }

    @Test
    void errorModeRefusesInfiniteValues() {
        assertErrorSays(frame(field("x", FLOATS), (Object) new float[] {1, Float.NEGATIVE_INFINITY}),
                normalizer("error"), "holds -Infinity at index 1");
        assertErrorSays(frame(field("x", VECTOR), Vectors.sparse(5, new int[] {3}, new double[] {Double.POSITIVE_INFINITY})),
                normalizer("error"), "holds Infinity at index 3");
    }

    @Test
    void errorModeRefusesANullElementOfAnArray() {
        assertErrorSays(frame(field("x", DOUBLES), (Object) new Double[] {1.0, null}), normalizer("error"),
                "holds a null at index 1");
    }

    @Test
    void errorModeRefusesARowWhoseLengthIsNotTheScaleLength() {
        assertErrorSays(frame(field("x", DOUBLES), (Object) new double[] {1, 2, 3}),
                normalizer("error").setScale(new double[] {1, 1}), "has 3 values but scale/shift have 2");
    }

    /**
     * Sparse vectors as any data source may hold them: VectorUDT's struct written as a plain
     * struct to Parquet and read back as vectors, so that nothing checks them on the way in.
     */
    private static Dataset<Row> rawSparseVectors(Row... structs) throws java.io.IOException {
        StructType struct = new StructType().add("type", DataTypes.ByteType).add("size", DataTypes.IntegerType)
                .add("indices", DataTypes.createArrayType(DataTypes.IntegerType))
                .add("values", DataTypes.createArrayType(DataTypes.DoubleType));
        StructType raw = new StructType().add("id", DataTypes.IntegerType).add("x", struct);
        List<Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < structs.length; i++) {
            rows.add(RowFactory.create(i, structs[i]));
        }
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sparse");
        String path = dir.resolve("raw.parquet").toString();
        SparkTestSession.get().createDataFrame(rows, raw).write().parquet(path);
        StructType asVectors = new StructType().add("id", DataTypes.IntegerType).add("x", VECTOR);
        return SparkTestSession.get().read().schema(asVectors).parquet(path);
    }

    private static Row sparse(int size, int[] indices, double[] values) {
        return RowFactory.create((byte) 0, size, indices, values);
    }

    @Test
    void malformedSparseVectorsAreInvalidRowsNotWrittenIntoTheirNeighbours() throws Exception {
        Dataset<Row> df = rawSparseVectors(
                sparse(4, new int[] {0, 3}, new double[] {1, 2}),
                sparse(4, new int[] {1, 7}, new double[] {1, 2}),
                sparse(4, new int[] {2, 1}, new double[] {1, 2}),
                sparse(4, new int[] {1, 1}, new double[] {1, 2}),
                sparse(4, new int[] {-1}, new double[] {5}),
                sparse(4, new int[] {0, 1}, new double[] {5}),
                sparse(-3, new int[] {}, new double[] {}),
                sparse(4, new int[] {1, 2}, new double[] {3, 9}));
        LayerNormalizer skip = normalizer("skip");
        List<Row> kept = skip.transform(df).orderBy("id").collectAsList();
        assertEquals(Arrays.asList(0, 7), kept.stream().map(r -> r.getInt(0)).collect(java.util.stream.Collectors.toList()));
        // Each valid row is normalized over its own values, whatever sat next to it in the batch.
        assertArrayEquals(expected(new double[] {1, 0, 0, 2}), TestRows.values(kept.get(0).get(2)), 1e-12);
        assertArrayEquals(expected(new double[] {0, 3, 9, 0}), TestRows.values(kept.get(1).get(2)), 1e-12);
        assertEquals(java.util.Map.of("malformed", 6L), skip.rowsSkippedByReason());

        assertErrorSays(rawSparseVectors(sparse(4, new int[] {1, 7}, new double[] {1, 2})), normalizer("error"),
                "is a sparse vector of size 4 whose index 7 (at position 1) is out of range");
        assertErrorSays(rawSparseVectors(sparse(4, new int[] {2, 1}, new double[] {1, 2})), normalizer("error"),
                "whose index 1 (at position 1) is not above the one before it");
        assertErrorSays(rawSparseVectors(sparse(4, new int[] {0, 1}, new double[] {5})), normalizer("error"),
                "is a sparse vector with 2 indices but 1 values");
    }

    /** Layer norm of a short row with epsilon 1e-5, in closed form: (x - mean) / sqrt(var + eps). */
    private static double[] expected(double[] x) {
        double mean = Arrays.stream(x).average().orElseThrow();
        double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length;
        return Arrays.stream(x).map(v -> (v - mean) / Math.sqrt(var + 1e-5)).toArray();
    }

    @Test
    void keptRowsAreCountedByReason() {
        LayerNormalizer ln = normalizer("keep").setShift(new double[] {0, 0, 0});
        assertEquals(6, ln.transform(mixed()).collectAsList().size());
        assertEquals(0, ln.rowsSkipped());
        assertEquals(java.util.Map.of("null", 1L, "non-finite", 1L, "length", 2L), ln.rowsKeptByReason());
    }

    private static Dataset<Row> mixed() {
        return frame(field("x", DOUBLES),
                new double[] {1, 2, 3},
                null,
                new double[] {1, Double.NaN, 3},
                new double[0],
                new double[] {4, 5, 6},
                new double[] {1, 2});
    }

    @Test
    void skipModeDropsExactlyTheInvalidRows() {
        List<Row> out = normalizer("skip").setShift(new double[] {0, 0, 0}).transform(mixed()).orderBy("id")
                .collectAsList();
        assertEquals(Arrays.asList(0, 4), out.stream().map(r -> r.getInt(0)).collect(java.util.stream.Collectors.toList()));
        out.forEach(r -> assertNotNull(r.get(2)));
    }

    @Test
    void skippedRowsAreCounted() {
        LayerNormalizer ln = normalizer("skip").setShift(new double[] {0, 0, 0});
        assertEquals(2, ln.transform(mixed()).collectAsList().size());
        assertEquals(6, ln.rowsRead());
        assertEquals(4, ln.rowsSkipped());
        assertEquals(java.util.Map.of("null", 1L, "non-finite", 1L, "length", 2L), ln.rowsSkippedByReason());
    }

    @Test
    void keepModeKeepsEveryRowWithANullOutputForTheInvalidOnes() {
        Dataset<Row> result = normalizer("keep").setShift(new double[] {0, 0, 0}).transform(mixed());
        assertTrue(result.schema().apply("y").nullable());
        List<Row> out = result.orderBy("id").collectAsList();
        assertEquals(6, out.size());
        boolean[] valid = {true, false, false, false, true, false};
        for (int i = 0; i < valid.length; i++) {
            assertEquals(valid[i], !out.get(i).isNullAt(2), "row " + i);
        }
        assertTrue(out.get(2).getList(1).contains(Double.NaN), "the input itself is left as it was");
    }

    @Test
    void outputIsNotNullableUnlessInvalidRowsAreKept() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2));
        assertFalse(normalizer("error").transform(df).schema().apply("y").nullable());
        assertFalse(normalizer("skip").transform(df).schema().apply("y").nullable());
    }

    private static Dataset<Row> twoColumns() {
        StructType schema = new StructType(new StructField[] {
            field("id", DataTypes.IntegerType), field("a", VECTOR), field("b", FLOATS)});
        return TestRows.frame(schema, List.of(
                RowFactory.create(0, Vectors.dense(1, 2), new float[] {1, 2}),
                RowFactory.create(1, Vectors.dense(1, 2), null),
                RowFactory.create(2, Vectors.dense(Double.NaN, 2), new float[] {1, 2}),
                RowFactory.create(3, Vectors.dense(3, 5), new float[] {7, 8})));
    }

    private static LayerNormalizer twoColumnNormalizer(String handleInvalid) {
        return new LayerNormalizer().setInputCols(new String[] {"a", "b"}).setOutputCols(new String[] {"a2", "b2"})
                .setHandleInvalid(handleInvalid);
    }

    @Test
    void skipModeWithSeveralColumnsDropsARowWhenAnyOfItsColumnsIsInvalid() {
        List<Row> out = twoColumnNormalizer("skip").transform(twoColumns()).orderBy("id").collectAsList();
        assertEquals(2, out.size());
        assertEquals(0, out.get(0).getInt(0));
        assertEquals(3, out.get(1).getInt(0));
        double z = 1 / Math.sqrt(1 + 1e-5);
        assertEquals(Vectors.dense(-z, z), out.get(1).getAs("a2"), "the kept rows are normalized as usual");
    }

    @Test
    void keepModeWithSeveralColumnsNullsOnlyTheInvalidColumn() {
        List<Row> out = twoColumnNormalizer("keep").transform(twoColumns()).orderBy("id").collectAsList();
        assertEquals(4, out.size());
        assertNotNull(out.get(1).getAs("a2"));
        assertNull(out.get(1).getAs("b2"));
        assertNull(out.get(2).getAs("a2"));
        assertNotNull(out.get(2).getAs("b2"));
    }

    @Test
    void aNonFiniteValueInAnyGroupMakesTheWholeRowInvalid() {
        Dataset<Row> df = frame(field("x", DOUBLES), new double[] {1, 2, 3, 4}, new double[] {1, 2, 3, Double.NaN});
        List<Row> kept = normalizer("keep").setGroupSize(2).transform(df).orderBy("id").collectAsList();
        assertTrue(kept.get(0).getAs("y") != null && kept.get(1).getAs("y") == null, kept.toString());
        String message = failureOf(df, normalizer("error").setGroupSize(2));
        assertTrue(message.contains("holds NaN at index 3"), message);
    }

    @Test
    @RequiresOpenClDevice
    void theOpenClBackendFindsNonFiniteValuesToo() {
        io.github.sparklayernorm.kernels.opencl.OpenClTestSupport.requireDevice();
        Dataset<Row> df = frame(field("x", FLOATS), new float[] {1, 2, 3}, new float[] {1, Float.POSITIVE_INFINITY, 3},
                new float[] {4, 5, 7});
        LayerNormalizer ln = normalizer("skip").setBackend("opencl");
        assertEquals(2, ln.transform(df).collectAsList().size());
        assertEquals(1, ln.rowsSkipped());
        String message = failureOf(df, normalizer("error").setBackend("opencl"));
        assertTrue(message.contains("holds Infinity at index 1"), message);
    }
}
