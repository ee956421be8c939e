package io.github.sparklayernorm.kernels.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backend {@code auto} choosing between a device and the Java engine by measurement, per row shape.
 * PoCL's CPU device stands in for a GPU here ({@value BackendSelector#AUTO_USES_CPU_DEVICES}): which
 * engine wins depends on the machine, so the tests hold what must hold either way.
 */
@RequiresOpenClDevice
class AutoCalibrationTest {

    private static final LayerNormSpec SPEC = LayerNormSpec.of(1e-5);

    /** What auto decided, in the listener's words. */
    private static final class Decisions implements BackendListener {
        final List<String> heard = new ArrayList<>();

        @Override
        public void calibrated(String backend, String device, String figures) {
            heard.add(backend + ": " + figures);
        }
    }

    @BeforeEach
    void deviceUnderAuto() {
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        AutoCalibration.forget();
    }

    @AfterEach
    void clear() {
        System.clearProperty(BackendSelector.AUTO_USES_CPU_DEVICES);
        AutoCalibration.forget();
    }

    private static float[] rows(int rows, int d, long seed) {
        double[] values = LayerNormEngineContract.gaussianRow(new SplittableRandom(seed), rows * d, 100, 2);
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** Normalizes one batch in place, as the Spark side does, and checks it against the Java engine. */
    private static BatchReport batch(RoutedLayerNorm engine, int rows, int d, long seed) {
        float[] in = rows(rows, d, seed);
        float[] expected = new float[in.length];
        new JavaLayerNorm().normalize(in, expected, BatchLayout.uniform(rows, d), SPEC);
        BatchReport report = engine.normalize(in, in, BatchLayout.uniform(rows, d), SPEC);
        assertArrayEquals(expected, in, 1e-6f, "batch of " + rows + " x " + d);
        return report;
    }

    @Test
    void eachShapeIsMeasuredOnBothThenTakesTheFasterAndSaysWhy() {
        Decisions decisions = new Decisions();
        try (RoutedLayerNorm engine = BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, true, decisions)) {
            for (int b = 0; b <= AutoCalibration.SAMPLES; b++) {
                assertNull(AutoCalibration.decided(deviceOf(engine), "float rows of 64"), "still measuring at batch " + b);
                assertTrue(batch(engine, 128, 64, b).backend().startsWith("opencl: "),
                        "measured batches are the device's output");
            }
            AutoCalibration.Decision decision = AutoCalibration.decided(deviceOf(engine), "float rows of 64");
            assertNotNull(decision, "decided after a warm-up and " + AutoCalibration.SAMPLES + " measured batches");
            assertEquals(1, decisions.heard.size(), decisions.heard.toString());
            assertTrue(decisions.heard.get(0).contains("ns per value (transfers included), the Java engine"),
                    decisions.heard.get(0));

            BatchReport decided = batch(engine, 128, 64, 99);
            assertEquals(decision.java, decided.backend().equals("java"), decided.toString());
            assertEquals(decision.reason(), decided.reason());
            assertTrue(decided.reason().endsWith("for float rows of 64"), decided.reason());

            // Another row length is another shape: measured anew.
            BatchReport longer = batch(engine, 128, 96, 100);
            assertNull(AutoCalibration.decided(deviceOf(engine), "float rows of 96"));
            assertTrue(longer.backend().startsWith("opencl: "), longer.toString());
        }
    }

    @Test
    void withoutCalibrationAutoKeepsTheDevice() {
        try (RoutedLayerNorm engine = BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, BackendListener.NONE)) {
            for (int b = 0; b < AutoCalibration.SAMPLES + 3; b++) {
                BatchReport report = batch(engine, 128, 64, b);
                assertTrue(report.backend().startsWith("opencl: "), report.toString());
                assertNull(report.reason());
            }
            assertNull(AutoCalibration.decided(deviceOf(engine), "float rows of 64"));
        }
    }

    @Test
    void backendOpenclNeverLeavesTheDeviceOnSpeedGrounds() {
        try (RoutedLayerNorm engine = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, true, BackendListener.NONE)) {
            for (int b = 0; b < AutoCalibration.SAMPLES + 3; b++) {
                BatchReport report = batch(engine, 128, 64, b);
                assertTrue(report.backend().startsWith("opencl: "), report.toString());
            }
            assertNull(AutoCalibration.decided(deviceOf(engine), "float rows of 64"));
        }
    }

    /** The device auto takes here: the first OpenCL lists, CPU devices allowed. */
    private static String deviceOf(RoutedLayerNorm engine) {
        return io.github.sparklayernorm.kernels.opencl.OpenClDevices.describe(
                io.github.sparklayernorm.kernels.opencl.OpenClDevices.all().get(0));
    }
}
