package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerNormalizerPersistenceTest {

    @TempDir
    Path dir;

    /** Every param set to a value other than its default. */
    private static LayerNormalizer configured() {
        return new LayerNormalizer().setInputCol("a").setOutputCol("a2")
                .setEpsilon(1e-3).setScale(new double[] {0.5, 2, -1}).setShift(new double[] {1, 0, 3})
                .setHandleInvalid("skip").setBackend("java").setBatchSize(333).setGroupSize(3)
                .setMeanCol("mean").setInvStdDevCol("inv");
    }

    /** Every param: set or not, and its value (arrays by content). */
    private static void assertSameParams(org.apache.spark.ml.param.Params expected,
                                         org.apache.spark.ml.param.Params actual) {
        assertEquals(expected.uid(), actual.uid());
        assertEquals(expected.params().length, actual.params().length);
        for (org.apache.spark.ml.param.Param<?> param : expected.params()) {
            org.apache.spark.ml.param.Param<?> same = actual.getParam(param.name());
            assertEquals(expected.isSet(param), actual.isSet(same), param.name() + " set");
            if (expected.isDefined(param)) {
                Object want = expected.getOrDefault(param);
                Object got = actual.getOrDefault(same);
                assertTrue(java.util.Objects.deepEquals(want, got), param.name() + ": " + want + " vs " + got);
            }
        }
    }

    @Test
    void everyParamIsSavedAndLoaded() throws IOException {
        SparkTestSession.get();
        LayerNormalizer ln = configured();
        for (org.apache.spark.ml.param.Param<?> param : ln.params()) {
            boolean multi = param.name().equals("inputCols") || param.name().equals("outputCols");
            assertEquals(!multi, ln.isSet(param), param.name() + " is set by configured()");
        }
        String path = dir.resolve("all").toString();
        ln.save(path);
        assertSameParams(ln, LayerNormalizer.load(path));
        LayerNormalizer multi = new LayerNormalizer().setInputCols(new String[] {"a", "b"})
                .setOutputCols(new String[] {"a2", "b2"});
        multi.save(dir.resolve("multi").toString());
        assertSameParams(multi, LayerNormalizer.load(dir.resolve("multi").toString()));
        RmsNormalizer rms = new RmsNormalizer().setInputCol("h").setOutputCol("h2").setGroupSize(4)
                .setScale(new double[] {1, 2, 3, 4}).setInvStdDevCol("invRms").setBackend("java").setBatchSize(9)
                .setEpsilon(1e-6).setHandleInvalid("keep");
        rms.save(dir.resolve("rms").toString());
        assertSameParams(rms, RmsNormalizer.load(dir.resolve("rms").toString()));
    }

    @Test
    void savingOverAnExistingStageNeedsOverwrite() throws IOException {
        SparkTestSession.get();
        String path = dir.resolve("ln").toString();
        new LayerNormalizer().setInputCol("x").save(path);
        LayerNormalizer second = configured();
        assertThrows(IOException.class, () -> second.save(path));
        second.write().overwrite().save(path);
        assertSameParams(second, LayerNormalizer.load(path));
    }

    @Test
    void fittedPipelineWithTheStageSavesLoadsAndPredictsTheSame() throws IOException {
        StructType schema = new StructType(new StructField[] {
            TestRows.field("f1", DataTypes.DoubleType), TestRows.field("f2", DataTypes.DoubleType),
            TestRows.field("f3", DataTypes.DoubleType), TestRows.field("label", DataTypes.DoubleType)});
        SplittableRandom random = new SplittableRandom(3);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            double f1 = random.nextDouble() * 100;
            double f2 = random.nextDouble();
            double f3 = random.nextDouble() * 10;
            rows.add(RowFactory.create(f1, f2, f3, f1 / 100 > f2 ? 1.0 : 0.0));
        }
        Dataset<Row> df = TestRows.frame(schema, rows);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler().setInputCols(new String[] {"f1", "f2", "f3"}).setOutputCol("raw"),
            new LayerNormalizer().setInputCol("raw").setOutputCol("features").setScale(new double[] {1, 2, 3}),
            new LogisticRegression().setMaxIter(20)});
        PipelineModel model = pipeline.fit(df);
        String path = dir.resolve("model").toString();
        model.write().overwrite().save(path);
        PipelineModel loaded = PipelineModel.load(path);

        LayerNormalizer stage = (LayerNormalizer) loaded.stages()[1];
        assertArrayEquals(new double[] {1, 2, 3}, stage.getScale());
        List<Row> before = model.transform(df).select("features", "prediction").collectAsList();
        List<Row> after = loaded.transform(df).select("features", "prediction").collectAsList();
        assertEquals(before, after);
    }
}
