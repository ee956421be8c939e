package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.FLOATS;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.OpenClTestSupport;
import io.github.sparklayernorm.kernels.opencl.FaultInjection;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import io.github.sparklayernorm.ml.exec.Execution;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The same transformer on each backend: same rows out, counted where they were normalized. */
class LayerNormalizerBackendTest {

    private static final String FAULT = "sparklayernorm.opencl.fault";
    private static final int ROWS = 3000;

    @AfterEach
    void clearSwitches() {
        System.clearProperty(FAULT);
        System.clearProperty(BackendSelector.AUTO_USES_CPU_DEVICES);
    }

    /** Rows with large offsets, in a vector column and an array<float> column. */
    private static Dataset<Row> data() {
        SplittableRandom random = new SplittableRandom(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            double[] v = new double[32];
            float[] f = new float[32];
            double offset = (random.nextDouble() - 0.5) * 1e8;
            for (int j = 0; j < v.length; j++) {
                v[j] = offset + random.nextDouble();
                f[j] = (float) (offset / 1e4 + random.nextDouble());
            }
            rows.add(RowFactory.create(i, Vectors.dense(v), f));
        }
        StructType schema = new StructType(new StructField[] {
            field("id", DataTypes.IntegerType), field("v", VECTOR), field("f", FLOATS)});
        return TestRows.frame(schema, rows).repartition(3);
    }

    private static LayerNormalizer normalizer(String backend) {
        return new LayerNormalizer().setInputCols(new String[] {"v", "f"}).setOutputCols(new String[] {"v2", "f2"})
                .setScale(range(32)).setShift(range(32)).setBackend(backend);
    }

    private static double[] range(int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = 0.5 + i / 8.0;
        }
        return values;
    }

    /** One job (sorting in Spark would run the stage twice and count its rows twice). */
    private static List<Row> outputs(LayerNormalizer ln) {
        List<Row> rows = new ArrayList<>(ln.transform(data()).select("id", "v2", "f2").collectAsList());
        rows.sort(java.util.Comparator.comparingInt(r -> r.getInt(0)));
        List<Row> outputs = new ArrayList<>();
        for (Row row : rows) {
            outputs.add(RowFactory.create(row.get(1), row.get(2)));
        }
        return outputs;
    }

    private static void assertSameWithin(List<Row> expected, List<Row> actual, double doubleTolerance) {
        assertEquals(expected.size(), actual.size());
        for (int r = 0; r < expected.size(); r++) {
            double[] e = ((Vector) expected.get(r).get(0)).toArray();
            double[] a = ((Vector) actual.get(r).get(0)).toArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], doubleTolerance * Math.max(1, Math.abs(e[i])), "row " + r + " value " + i);
            }
            assertEquals(expected.get(r).getList(1), actual.get(r).getList(1), "float row " + r);
        }
    }

    @Test
    void javaBackendCountsEveryRowOfEveryColumnUnderJava() {
        LayerNormalizer ln = normalizer("java");
        outputs(ln);
        assertEquals(Map.of("java", 2L * ROWS), ln.rowsByBackend());
    }

    @Test
    @RequiresOpenClDevice
    void openclBackendGivesTheJavaResultsWithinTheDoubleTolerance() {
        OpenClTestSupport.requireDevice();
        List<Row> java = outputs(normalizer("java"));
        LayerNormalizer ln = normalizer("opencl");
        // Float outputs must be the same floats: both engines round the same double once, and
        // their doubles differ by far less than a float ulp (a tie would show up here).
        assertSameWithin(java, outputs(ln), 1e-12);
        Map<String, Long> counts = ln.rowsByBackend();
        assertEquals(1, counts.size(), counts.toString());
        String key = counts.keySet().iterator().next();
        assertTrue(key.startsWith("opencl: "), key);
        assertEquals(2L * ROWS, counts.get(key));
    }

    @Test
    @RequiresOpenClDevice
    void bothKernelShapesGiveTheJavaResultsWithinTheDoubleTolerance() {
        OpenClTestSupport.requireDevice();
        List<Row> java = outputs(normalizer("java"));
        SparkSession spark = SparkTestSession.get();
        try {
            for (String shape : new String[] {"row", "group"}) {
                spark.conf().set(Execution.KERNEL_SETTING, shape);
                assertSameWithin(java, outputs(normalizer("opencl")), 1e-12);
            }
        } finally {
            spark.conf().unset(Execution.KERNEL_SETTING);
        }
    }

    @Test
    void aCalibrateSettingOtherThanTrueOrFalseFailsNamingIt() {
        SparkSession spark = SparkTestSession.get();
        spark.conf().set(Execution.CALIBRATE_SETTING, "sometimes");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> normalizer("opencl").transform(data()));
            assertTrue(e.getMessage().contains("spark.layernorm.auto.calibrate is 'sometimes'"), e.getMessage());
        } finally {
            spark.conf().unset(Execution.CALIBRATE_SETTING);
        }
    }

    @Test
    void anUnknownKernelShapeFailsNamingTheSetting() {
        SparkSession spark = SparkTestSession.get();
        spark.conf().set(Execution.KERNEL_SETTING, "warp");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> normalizer("opencl").transform(data()));
            assertTrue(e.getMessage().contains("spark.layernorm.opencl.kernel is 'warp'; use auto, row or group"),
                    e.getMessage());
        } finally {
            spark.conf().unset(Execution.KERNEL_SETTING);
        }
    }

    @Test
    void autoUsesAGpuWhenThereIsOneElseJava() {
        LayerNormalizer ln = normalizer("auto");
        outputs(ln);
        boolean gpu = OpenClTestSupport.gpusByClinfo() > 0;
        assertEquals(gpu, ln.rowsByBackend().keySet().iterator().next().startsWith("opencl"), ln.rowsByBackend().toString());
    }

    @Test
    @RequiresOpenClDevice
    void compileFailureUnderAutoGivesTheJavaOutput() {
        OpenClTestSupport.requireDevice();
        List<Row> java = outputs(normalizer("java"));
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        System.setProperty(FAULT, "compile");
        long fired = FaultInjection.fired("compile");
        LayerNormalizer ln = normalizer("auto");
        assertSameWithin(java, outputs(ln), 0.0);
        assertEquals(Map.of("java", 2L * ROWS), ln.rowsByBackend());
        // auto opened the device and the fault fired there: the Java rows are the fallback's, not a skip.
        assertTrue(FaultInjection.fired("compile") > fired, "the injected compile fault fired");
    }

    @Test
    @RequiresOpenClDevice
    void executionFailureUnderAutoGivesTheJavaOutput() {
        OpenClTestSupport.requireDevice();
        List<Row> java = outputs(normalizer("java"));
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        System.setProperty(FAULT, "execute");
        long fired = FaultInjection.fired("execute");
        LayerNormalizer ln = normalizer("auto");
        assertSameWithin(java, outputs(ln), 0.0);
        assertEquals(Map.of("java", 2L * ROWS), ln.rowsByBackend());
        // auto opened the device and the fault fired there: the Java rows are the fallback's, not a skip.
        assertTrue(FaultInjection.fired("execute") > fired, "the injected execute fault fired");
    }

    @Test
    @RequiresOpenClDevice
    void openclFailureUnderTheOpenclBackendFailsTheJob() {
        OpenClTestSupport.requireDevice();
        System.setProperty(FAULT, "execute");
        Exception e = assertThrows(Exception.class, () -> outputs(normalizer("opencl")));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("injected execute failure"), messages.toString());
    }

    @Test
    @RequiresOpenClDevice
    void rmsGroupsAndStatisticsOnOpenclMatchJava() {
        OpenClTestSupport.requireDevice();
        List<Row> results = new ArrayList<>();
        for (String backend : new String[] {"java", "opencl"}) {
            RmsNormalizer rms = new RmsNormalizer().setInputCol("v").setOutputCol("v2").setGroupSize(8)
                    .setScale(range(8)).setInvStdDevCol("inv").setBackend(backend);
            // Collected, not first(): first() may stop before every partition was read.
            results.add(rms.transform(data()).filter("id = 17").select("v2", "inv").collectAsList().get(0));
            assertEquals((long) ROWS, rms.rowsByBackend().values().iterator().next(), "rows are counted as rows, not groups");
        }
        double[] java = ((Vector) results.get(0).get(0)).toArray();
        double[] openCl = ((Vector) results.get(1).get(0)).toArray();
        for (int i = 0; i < java.length; i++) {
            assertEquals(java[i], openCl[i], 1e-12 * Math.max(1, Math.abs(java[i])), "value " + i);
        }
        List<Object> invJava = results.get(0).getList(1);
        List<Object> invOpenCl = results.get(1).getList(1);
        for (int g = 0; g < 4; g++) {
            double expected = (Double) invJava.get(g);
            assertEquals(expected, (Double) invOpenCl.get(g), 1e-12 * expected, "group " + g);
        }
    }

    @Test
    void batchSizeDoesNotChangeAnyRow() {
        List<Row> big = outputs(normalizer("java"));
        List<Row> small = outputs(normalizer("java").setBatchSize(7));
        assertSameWithin(big, small, 0.0);
        assertArrayEquals(((Vector) big.get(0).get(0)).toArray(), ((Vector) small.get(0).get(0)).toArray(), 0.0);
    }
}
