package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static io.github.sparklayernorm.ml.TestRows.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** groupSize (one normalization per block of a row) and the mean / inverse-deviation columns. */
class GroupsAndStatisticsTest {


    private static double[] concat(double[] a, double[] b) {
        double[] out = new double[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void eachGroupOfARowIsNormalizedOnItsOwn() {
        double[] shift = {0.5, 0, -1};
        Dataset<Row> tokens = frame(field("x", VECTOR), Vectors.dense(1, 2, 4, 100, 300, 200));
        Row grouped = new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(3).setShift(shift)
                .transform(tokens).first();
        Dataset<Row> separate = frame(field("x", VECTOR), Vectors.dense(1, 2, 4), Vectors.dense(100, 300, 200));
        List<Row> rows = new LayerNormalizer().setInputCol("x").setOutputCol("y").setShift(shift)
                .transform(separate).orderBy("id").collectAsList();
        assertArrayEquals(concat(values(rows.get(0).getAs("y")), values(rows.get(1).getAs("y"))),
                values(grouped.getAs("y")), 0.0);
    }

    @Test
    void rmsGroupsToo() {
        Dataset<Row> tokens = frame(field("x", FLOATS), (Object) new float[] {1, 2, 3, 3, 2, 1});
        Row row = new RmsNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(3).transform(tokens).first();
        double r = 1 / Math.sqrt(14.0 / 3 + 1e-5);
        assertArrayEquals(new double[] {(float) r, (float) (2 * r), (float) (3 * r), (float) (3 * r), (float) (2 * r),
            (float) r}, values(row.getAs("y")), 0.0);
    }

    @Test
    void aRowThatIsNotAMultipleOfTheGroupSizeIsInvalid() {
        Dataset<Row> df = frame(field("x", DOUBLES), new double[] {1, 2, 3, 4}, new double[] {1, 2, 3, 4, 5});
        Exception e = assertThrows(Exception.class,
                () -> new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(2).transform(df)
                        .collectAsList());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("has 5 values, not a multiple of groupSize 2"), messages.toString());
        List<Row> kept = new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(2)
                .setHandleInvalid("keep").transform(df).orderBy("id").collectAsList();
        assertTrue(!kept.get(0).isNullAt(2) && kept.get(1).isNullAt(2));
    }

    @Test
    void scaleWithGroupsHasGroupSizeValuesAndOtherLengthsAreRefused() {
        StructType schema = new StructType(new StructField[] {new AttributeGroup("x", 6).toStructField()});
        IllegalArgumentException wrongScale = assertThrows(IllegalArgumentException.class, () ->
                new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(3).setScale(new double[6])
                        .transformSchema(schema));
        assertTrue(wrongScale.getMessage().contains("groupSize is 3 but scale/shift have 6"), wrongScale.getMessage());
        IllegalArgumentException notMultiple = assertThrows(IllegalArgumentException.class, () ->
                new RmsNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(4).transformSchema(schema));
        assertTrue(notMultiple.getMessage().contains("size 6") && notMultiple.getMessage().contains("groupSize 4"),
                notMultiple.getMessage());
        StructType out = new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(3)
                .setScale(new double[] {1, 2, 3}).transformSchema(schema);
        assertEquals(6, AttributeGroup.fromStructField(out.apply("y")).size(), "the output keeps the row's size");
    }

    @Test
    void meanAndInvStdDevColumnsHoldEachRowsStatistics() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3), Vectors.dense(10, 10, 40));
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y")
                .setMeanCol("mean").setInvStdDevCol("invStd").transform(df);
        assertEquals(DataTypes.DoubleType, result.schema().apply("mean").dataType());
        List<Row> rows = result.orderBy("id").collectAsList();
        assertEquals(2.0, rows.get(0).getDouble(rows.get(0).fieldIndex("mean")), 1e-15);
        assertEquals(1 / Math.sqrt(2.0 / 3 + 1e-5), rows.get(0).getDouble(rows.get(0).fieldIndex("invStd")), 1e-15);
        assertEquals(20.0, rows.get(1).getDouble(rows.get(1).fieldIndex("mean")), 1e-13);
        assertEquals(1 / Math.sqrt(200 + 1e-5), rows.get(1).getDouble(rows.get(1).fieldIndex("invStd")), 1e-15);
    }

    @Test
    void withGroupsTheStatisticsAreOnePerGroup() {
        Dataset<Row> df = frame(field("x", DOUBLES), (Object) new double[] {1, 2, 3, 10, 10, 40});
        Dataset<Row> result = new LayerNormalizer().setInputCol("x").setOutputCol("y").setGroupSize(3)
                .setMeanCol("mean").setInvStdDevCol("invStd").transform(df);
        assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), result.schema().apply("mean").dataType());
        Row row = result.first();
        assertArrayEquals(new double[] {2, 20}, values(row.get(row.fieldIndex("mean"))), 1e-13);
        assertArrayEquals(new double[] {1 / Math.sqrt(2.0 / 3 + 1e-5), 1 / Math.sqrt(200 + 1e-5)},
                values(row.get(row.fieldIndex("invStd"))), 1e-15);
    }

    @Test
    void statisticsOfAKeptInvalidRowAreNull() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, Double.NaN));
        Row row = new LayerNormalizer().setInputCol("x").setOutputCol("y").setMeanCol("m").setInvStdDevCol("s")
                .setHandleInvalid("keep").transform(df).first();
        assertTrue(row.isNullAt(row.fieldIndex("y")) && row.isNullAt(row.fieldIndex("m")) && row.isNullAt(row.fieldIndex("s")));
    }

    @Test
    void statisticsColumnsNeedASingleInputColumn() {
        StructType schema = new StructType(new StructField[] {field("a", VECTOR), field("b", VECTOR)});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new LayerNormalizer().setInputCols(new String[] {"a", "b"}).setOutputCols(new String[] {"a2", "b2"})
                        .setMeanCol("m").transformSchema(schema));
        assertTrue(e.getMessage().contains("need a single input column"), e.getMessage());
    }
}
