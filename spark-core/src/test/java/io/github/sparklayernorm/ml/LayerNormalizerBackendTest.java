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
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * The same bits in every value: the double column compared as raw bits (a tolerance would hide
     * the last-bit differences this exists to rule out), the float column as floats.
     */
    private static void assertSameBits(String what, List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size(), what);
        for (int r = 0; r < expected.size(); r++) {
            double[] e = ((Vector) expected.get(r).get(0)).toArray();
            double[] a = ((Vector) actual.get(r).get(0)).toArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(Double.doubleToLongBits(e[i]), Double.doubleToLongBits(a[i]),
                        what + ": row " + r + " value " + i + " is " + a[i] + ", expected " + e[i]);
            }
            assertEquals(expected.get(r).getList(1), actual.get(r).getList(1), what + ": float row " + r);
        }
    }

    /**
     * The stage's output written to Parquet and read back (what a job does), in id order: the
     * bits that reach storage.
     */
    private static List<Row> written(LayerNormalizer ln, Path dir) {
        String path = dir.resolve(ln.getBackend() + "-" + System.nanoTime()).toString();
        ln.transform(data()).select("id", "v2", "f2").write().parquet(path);
        List<Row> rows = new ArrayList<>(SparkTestSession.get().read().parquet(path).collectAsList());
        rows.sort(java.util.Comparator.comparingInt(r -> r.getInt(0)));
        List<Row> outputs = new ArrayList<>();
        for (Row row : rows) {
            outputs.add(RowFactory.create(row.get(1), row.get(2)));
        }
        return outputs;
    }

    @Test
    void javaBackendCountsEveryRowOfEveryColumnUnderJava() {
        LayerNormalizer ln = normalizer("java");
        outputs(ln);
        assertEquals(Map.of("java", 2L * ROWS), ln.rowsByBackend());
    }

    @Test
    @RequiresOpenClDevice
    void openclBackendWritesTheJavaBackendsBitsInBothKernelShapes(@TempDir Path dir) {
        OpenClTestSupport.requireDevice();
        List<Row> java = written(normalizer("java"), dir);
        SparkSession spark = SparkTestSession.get();
        try {
            for (String shape : new String[] {"row", "group"}) {
                spark.conf().set(Execution.KERNEL_SETTING, shape);
                LayerNormalizer ln = normalizer("opencl");
                assertSameBits("opencl, " + shape + " shape", java, written(ln, dir));
                Map<String, Long> counts = ln.rowsByBackend();
                assertEquals(1, counts.size(), counts.toString());
                String key = counts.keySet().iterator().next();
                assertTrue(key.startsWith("opencl: "), key);
                assertEquals(2L * ROWS, counts.get(key));
            }
        } finally {
            spark.conf().unset(Execution.KERNEL_SETTING);
        }
    }

    /**
     * Backend auto's choice never shows in the output: with calibration off it takes the device for
     * every row, with calibration on it measures both engines and chooses (batches measured run
     * on both), and the Java backend takes none. The same bits all three times.
     */
    @Test
    @RequiresOpenClDevice
    void autoWritesTheSameBitsWhateverItChose(@TempDir Path dir) {
        OpenClTestSupport.requireDevice();
        List<Row> java = written(normalizer("java"), dir);
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        SparkSession spark = SparkTestSession.get();
        try {
            spark.conf().set(Execution.CALIBRATE_SETTING, "false");
            LayerNormalizer uncalibrated = normalizer("auto");
            assertSameBits("auto, the device for every row", java, written(uncalibrated, dir));
            assertTrue(uncalibrated.rowsByBackend().keySet().stream().allMatch(k -> k.startsWith("opencl: ")),
                    uncalibrated.rowsByBackend().toString());
            spark.conf().set(Execution.CALIBRATE_SETTING, "true");
            assertSameBits("auto, calibrated", java, written(normalizer("auto"), dir));
        } finally {
            spark.conf().unset(Execution.CALIBRATE_SETTING);
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
        assertSameBits("auto after the fault", java, outputs(ln));
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
        assertSameBits("auto after the fault", java, outputs(ln));
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
    void rmsGroupsAndStatisticsOnOpenclHaveTheJavaBits() {
        OpenClTestSupport.requireDevice();
        List<Row> results = new ArrayList<>();
        for (String backend : new String[] {"java", "opencl"}) {
            RmsNormalizer rms = new RmsNormalizer().setInputCol("v").setOutputCol("v2").setGroupSize(8)
                    .setScale(range(8)).setInvStdDevCol("inv").setBackend(backend);
            // Collected, not first(): first() may stop before every partition was read.
            results.add(rms.transform(data()).filter("id = 17").select("v2", "inv").collectAsList().get(0));
            assertEquals((long) ROWS, rms.rowsByBackend().values().iterator().next(), "rows are counted as rows, not groups");
        }
        // The same bits: doubles compared as raw bits, not within a tolerance.
        assertArrayEquals(bits(((Vector) results.get(0).get(0)).toArray()), bits(((Vector) results.get(1).get(0)).toArray()));
        assertEquals(results.get(0).getList(1), results.get(1).getList(1), "inverse deviations of the groups");
        assertEquals(4, results.get(0).getList(1).size());
    }

    @Test
    void batchSizeDoesNotChangeAnyRow() {
        List<Row> big = outputs(normalizer("java"));
        List<Row> small = outputs(normalizer("java").setBatchSize(7));
        assertSameBits("batches of 7 rows", big, small);
    }

    private static long[] bits(double[] values) {
        long[] bits = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Double.doubleToLongBits(values[i]);
        }
        return bits;
    }
}
