package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static io.github.sparklayernorm.ml.TestRows.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RmsNormalizerTest {

    /** {1, 2, 3}: mean square 14/3. */
    private static final double R = 1 / Math.sqrt(14.0 / 3 + 1e-5);

    @TempDir
    Path dir;


    @Test
    void rowsAreDividedByTheirRootMeanSquare() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3));
        Row out = new RmsNormalizer().setInputCol("x").setOutputCol("y").transform(df).first();
        assertArrayEquals(new double[] {R, 2 * R, 3 * R}, values(out.getAs("y")), 1e-15);
    }

    @Test
    void scaleIsAppliedAndThereIsNoShift() {
        Dataset<Row> df = frame(field("x", DOUBLES), (Object) new double[] {1, 2, 3});
        RmsNormalizer rms = new RmsNormalizer().setInputCol("x").setOutputCol("y").setScale(new double[] {2, 0.5, -1});
        assertArrayEquals(new double[] {2 * R, R, -3 * R}, values(rms.transform(df).first().getAs("y")), 1e-15);
        assertFalse(rms.explainParams().contains("shift:"), rms.explainParams());
    }

    @Test
    void floatArraysGiveFloatArraysAndSeveralColumnsGoInOnePass() {
        Dataset<Row> df = TestRows.frame(new org.apache.spark.sql.types.StructType(new org.apache.spark.sql.types.StructField[] {
            field("f", FLOATS), field("v", VECTOR)}),
                List.of(org.apache.spark.sql.RowFactory.create(new float[] {1, 2, 3}, Vectors.dense(1, 2, 3))));
        Row out = new RmsNormalizer().setInputCols(new String[] {"f", "v"}).setOutputCols(new String[] {"f2", "v2"})
                .transform(df).first();
        assertEquals(Arrays.asList((float) R, (float) (2 * R), (float) (3 * R)), out.getList(out.fieldIndex("f2")));
        assertArrayEquals(new double[] {R, 2 * R, 3 * R}, values(out.getAs("v2")), 1e-15);
    }

    @Test
    void invalidRowsFollowTheSameRulesAndNameTheStage() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, Double.NaN));
        Exception e = assertThrows(Exception.class,
                () -> new RmsNormalizer().setInputCol("x").setOutputCol("y").transform(df).collectAsList());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("RmsNormalizer rmsNorm_") && messages.toString().contains("holds NaN"),
                messages.toString());
        assertEquals(0, new RmsNormalizer().setInputCol("x").setOutputCol("y").setHandleInvalid("skip")
                .transform(df).count());
    }

    @Test
    void theInverseRmsColumnHoldsEachRowsInverseRms() {
        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3));
        Row out = new RmsNormalizer().setInputCol("x").setOutputCol("y").setInvStdDevCol("invRms").transform(df).first();
        assertEquals(R, out.getDouble(out.fieldIndex("invRms")), 1e-15);
    }

    @Test
    void savesAndLoadsAloneAndInAPipeline() throws IOException {
        SparkTestSession.get();
        RmsNormalizer rms = new RmsNormalizer().setInputCol("x").setOutputCol("y").setEpsilon(1e-6)
                .setScale(new double[] {1, 2, 3}).setGroupSize(3).setBackend("java");
        String path = dir.resolve("rms").toString();
        rms.save(path);
        RmsNormalizer loaded = RmsNormalizer.load(path);
        assertEquals(rms.uid(), loaded.uid());
        assertEquals(1e-6, loaded.getEpsilon());
        assertArrayEquals(new double[] {1, 2, 3}, loaded.getScale());
        assertEquals(3, loaded.getGroupSize());

        Dataset<Row> df = frame(field("x", VECTOR), Vectors.dense(1, 2, 3, 4, 5, 6));
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {rms}).fit(df);
        model.write().overwrite().save(dir.resolve("pipeline").toString());
        PipelineModel again = PipelineModel.load(dir.resolve("pipeline").toString());
        assertEquals(model.transform(df).collectAsList(), again.transform(df).collectAsList());
    }
}
