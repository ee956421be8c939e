package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static io.github.sparklayernorm.ml.TestRows.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class LayerNormalizerTransformTest {

    /** Hand-computed: {1, 2, 3} has mean 2 and biased variance 2/3. */
    private static final double Z3 = 1 / Math.sqrt(2.0 / 3 + 1e-5);

    private static List<Row> rowsById(Dataset<Row> df) {
        return df.orderBy("id").collectAsList();
    }


    @Test
    void denseVectorRowsAreNormalizedOverTheirOwnValues() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3), Vectors.dense(10, 10, 40));
        List<Row> out = rowsById(new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df));
        assertArrayEquals(new double[] {-Z3, 0, Z3}, values(out.get(0).getAs("y")), 1e-15);
        // {10, 10, 40}: mean 20, variance 200.
        double z = 1 / Math.sqrt(200 + 1e-5);
        assertArrayEquals(new double[] {-10 * z, -10 * z, 20 * z}, values(out.get(1).getAs("y")), 1e-15);
        assertInstanceOf(DenseVector.class, out.get(0).getAs("y"));
    }

    @Test
    void sparseVectorImplicitZerosCountAndTheOutputIsDense() {
        Vector sparse = Vectors.sparse(4, new int[] {1, 3}, new double[] {4, 8});
        Dataset<Row> df = frame(field("x", VECTOR), sparse, Vectors.dense(0, 4, 0, 8));
        List<Row> out = rowsById(new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df));
        assertInstanceOf(DenseVector.class, out.get(0).getAs("y"));
        assertArrayEquals(values(out.get(1).getAs("y")), values(out.get(0).getAs("y")), 0.0);
    }

    @Test
    void doubleArraysGiveDoubleArrays() {
        Dataset<Row> df = frame(field("x", DOUBLES), (Object) new double[] {1, 2, 3});
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df);
        assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), result.schema().apply("y").dataType());
        assertArrayEquals(new double[] {-Z3, 0, Z3}, values(result.first().getAs("y")), 1e-15);
    }

    @Test
    void floatArraysGiveFloatArraysRoundedOnceFromDouble() {
        Dataset<Row> df = frame(field("x", FLOATS), (Object) new float[] {1, 2, 3});
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df);
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), result.schema().apply("y").dataType());
        List<Object> y = result.first().getList(result.schema().fieldIndex("y"));
        assertEquals(Arrays.asList((float) -Z3, 0f, (float) Z3), y);
    }

    @Test
    void scaleAndShiftAreAppliedPerFeature() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3));
        Row out = new LayerNormalizer().setInputCol("x").setOutputCol("y")
                .setScale(new double[] {2, 3, -1}).setShift(new double[] {0.5, 1, 0})
                .transform(df).first();
        assertArrayEquals(new double[] {-2 * Z3 + 0.5, 1, -Z3}, values(out.getAs("y")), 1e-15);
    }

    @Test
    void epsilonIsUsedUnderTheSquareRoot() {
        Dataset<Row> df = frame(field("x", DOUBLES), (Object) new double[] {-1, 1});
        Row out = new LayerNormalizer().setInputCol("x").setOutputCol("y").setEpsilon(3).transform(df).first();
        assertArrayEquals(new double[] {-0.5, 0.5}, values(out.getAs("y")), 0.0);
    }

    @Test
    void constantRowGivesExactlyTheShift() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1e8, 1e8, 1e8));
        Row out = new LayerNormalizer().setInputCol("x").setOutputCol("y")
                .setScale(new double[] {5, 6, 7}).setShift(new double[] {0.1, -0.2, 0.3}).transform(df).first();
        assertArrayEquals(new double[] {0.1, -0.2, 0.3}, values(out.getAs("y")), 0.0);
    }

    @Test
    void withoutScaleAndShiftRowsMayHaveDifferentLengths() {
        Dataset<Row> df = frame(field("x", DOUBLES), new double[] {1, 2, 3}, new double[] {5}, new double[] {-1, 1});
        List<Row> out = rowsById(new LayerNormalizer().setInputCol("x").setOutputCol("y").setEpsilon(1e-12)
                .transform(df));
        assertEquals(3, values(out.get(0).getAs("y")).length);
        assertArrayEquals(new double[] {0}, values(out.get(1).getAs("y")), 0.0);
        assertArrayEquals(new double[] {-1, 1}, values(out.get(2).getAs("y")), 1e-11);
    }

    @Test
    void severalColumnsOfDifferentTypesAreNormalizedInOnePass() {
        StructType schema = new StructType(new StructField[] {
            field("id", DataTypes.IntegerType), field("v", VECTOR), field("d", DOUBLES), field("f", FLOATS)});
        Dataset<Row> df = TestRows.frame(schema, List.of(
                RowFactory.create(0, Vectors.dense(1, 2, 3), new double[] {1, 2, 3}, new float[] {1, 2, 3})));
        Dataset<Row> result = new LayerNormalizer()
                .setInputCols(new String[] {"v", "d", "f"}).setOutputCols(new String[] {"v2", "d2", "f2"})
                .transform(df);
        assertEquals(Arrays.asList("id", "v", "d", "f", "v2", "d2", "f2"), Arrays.asList(result.columns()));
        Row row = result.first();
        assertArrayEquals(new double[] {-Z3, 0, Z3}, values(row.getAs("v2")), 1e-15);
        assertArrayEquals(new double[] {-Z3, 0, Z3}, values(row.getAs("d2")), 1e-15);
        assertArrayEquals(new double[] {(float) -Z3, 0, (float) Z3}, values(row.getAs("f2")), 0.0);
    }

    @Test
    void otherColumnsAndTheirMetadataPassThroughUnchanged() {
        Metadata tag = new MetadataBuilder().putString("origin", "sensor-7").build();
        StructField input = new AttributeGroup("x", 3).toStructField();
        StructType schema = new StructType(new StructField[] {
            new StructField("name", DataTypes.StringType, true, tag),
            new StructField("when", DataTypes.TimestampType, true, Metadata.empty()),
            input});
        java.sql.Timestamp when = java.sql.Timestamp.valueOf("2024-02-29 12:34:56.789123");
        Dataset<Row> df = TestRows.frame(schema, List.of(RowFactory.create("a", when, Vectors.dense(1, 2, 3))));
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df);
        assertEquals(tag, result.schema().apply("name").metadata());
        assertEquals(input.metadata(), result.schema().apply("x").metadata());
        Row row = result.first();
        assertEquals("a", row.getString(0));
        assertEquals(when, row.getTimestamp(1));
        assertEquals(Vectors.dense(1, 2, 3), row.getAs("x"));
    }

    @Test
    void vectorOutputCarriesItsSizeInMlAttributeMetadata() {
        Dataset<Row> fromInputMetadata = TestRows.frame(
                new StructType(new StructField[] {new AttributeGroup("x", 3).toStructField()}),
                List.of(RowFactory.create(Vectors.dense(1, 2, 3))));
        StructField y = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(fromInputMetadata)
                .schema().apply("y");
        assertEquals(3, AttributeGroup.fromStructField(y).size());

        Dataset<Row> noMetadata = frame(field("x", VECTOR), Vectors.dense(1, 2, 3));
        StructField fromScale = new LayerNormalizer().setInputCol("x").setOutputCol("y")
                .setScale(new double[] {1, 1, 1}).transform(noMetadata).schema().apply("y");
        assertEquals(3, AttributeGroup.fromStructField(fromScale).size());

        StructField unknown = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(noMetadata)
                .schema().apply("y");
        assertEquals(-1, AttributeGroup.fromStructField(unknown).size());
    }

    @Test
    void rowOutputIsTheSameBitsWhateverThePartitioningAndNeighbours() {
        SplittableRandom random = new SplittableRandom(11);
        Object[] vectors = new Object[3000];
        for (int i = 0; i < vectors.length; i++) {
            double[] v = new double[16];
            double offset = random.nextDouble() * 1e8;
            for (int j = 0; j < v.length; j++) {
                v[j] = offset + random.nextDouble();
            }
            vectors[i] = Vectors.dense(v);
        }
        Dataset<Row> df = frame(field("x", VECTOR), vectors);
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y");
        Map<Integer, Vector> onePartition = outputsById(ln.transform(df.repartition(1)));
        Map<Integer, Vector> sevenShuffled = outputsById(ln.transform(df.repartition(7).orderBy("x")));
        Map<Integer, Vector> fewRows = outputsById(ln.transform(df.filter("id % 97 = 0")));
        assertEquals(vectors.length, onePartition.size());
        assertEquals(onePartition, sevenShuffled);
        fewRows.forEach((id, v) -> assertEquals(onePartition.get(id), v, "row " + id));
    }

    private static Map<Integer, Vector> outputsById(Dataset<Row> df) {
        Map<Integer, Vector> byId = new TreeMap<>();
        for (Row row : df.collectAsList()) {
            byId.put(row.getInt(0), row.getAs("y"));
        }
        return byId;
    }

    @Test
    void anEmptyFrameGivesAnEmptyFrameWithTheOutputColumn() {
        Dataset<Row> df = frame(field("x", VECTOR));
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df);
        assertEquals(0, result.count());
        assertTrue(Arrays.asList(result.columns()).contains("y"));
    }

    @Test
    void manyRowsCrossBatchBoundariesInOrder() {
        int n = 5000;
        Object[] arrays = new Object[n];
        for (int i = 0; i < n; i++) {
            arrays[i] = new double[] {i, i + 1, i + 3};
        }
        Dataset<Row> df = frame(field("x", DOUBLES), arrays).repartition(1);
        List<Row> out = new LayerNormalizer().setInputCol("x").setOutputCol("y").transform(df).collectAsList();
        assertEquals(n, out.size());
        // Every row {i, i+1, i+3} has mean i + 4/3 and deviations -4/3, -1/3, 5/3: variance 14/9.
        double denominator = Math.sqrt(14.0 / 9 + 1e-5);
        double[] expected = {(-4.0 / 3) / denominator, (-1.0 / 3) / denominator, (5.0 / 3) / denominator};
        for (int i = 0; i < n; i++) {
            assertEquals(i, out.get(i).getInt(0));
            assertArrayEquals(expected, values(out.get(i).getAs("y")), 1e-12, "row " + i);
        }
    }

    @Test
    void everyColumnOfRowsOfVaryingSizeSurvivesSmallBatches() {
        // Rows are kept while their batch is normalized; strings of every length, arrays and nulls
        // must come out as they went in, whatever the batch they fell into.
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("note", DataTypes.StringType)
                .add("tags", DataTypes.createArrayType(DataTypes.StringType))
                .add("x", VECTOR);
        List<Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 700; i++) {
            String note = i % 11 == 0 ? null : "n".repeat(i * 13 % 2000);
            rows.add(RowFactory.create(i, note, new String[] {"t" + i, "u".repeat(i % 50)}, Vectors.dense(i, 2.0 * i, i % 7)));
        }
        Dataset<Row> df = TestRows.frame(schema, rows).repartition(3);
        List<Row> out = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBatchSize(17).transform(df)
                .collectAsList();
        assertEquals(700, out.size());
        for (Row row : out) {
            int i = row.getInt(0);
            assertEquals(rows.get(i).get(1), row.get(1), "note of row " + i);
            assertEquals(Arrays.asList((String[]) rows.get(i).get(2)), row.getList(2), "tags of row " + i);
            assertEquals(rows.get(i).get(3), row.get(3), "input of row " + i);
            double[] x = values(rows.get(i).get(3));
            double mean = (x[0] + x[1] + x[2]) / 3;
            double variance = ((x[0] - mean) * (x[0] - mean) + (x[1] - mean) * (x[1] - mean) + (x[2] - mean) * (x[2] - mean)) / 3;
            assertEquals((x[2] - mean) / Math.sqrt(variance + 1e-5), values(row.getAs("y"))[2], 1e-12, "row " + i);
        }
    }
}
