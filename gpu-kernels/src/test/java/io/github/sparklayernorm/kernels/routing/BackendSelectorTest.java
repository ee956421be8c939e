package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.opencl.OpenClFailure;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.opencl.OpenClTestSupport;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendSelectorTest {

    private static final String FAULT = "sparklayernorm.opencl.fault";

    /** Records what the engines report. */
    private static final class Recorder implements BackendListener {
        final Map<String, Long> rows = new TreeMap<>();

        /** The engine, its batches counted into {@link #rows}. */
        LayerNormEngine count(RoutedLayerNorm engine) {
            return new CountedEngine(engine, rows);
        }
        final List<String> fallbacks = new ArrayList<>();
        final List<String> whys = new ArrayList<>();
        final List<String> opened = new ArrayList<>();
        final List<String> reasons = new ArrayList<>();

        @Override
        public void chose(String backend, String device, String why) {
            if ("opencl".equals(backend)) {
                opened.add(device);
            }
            reasons.add(backend + ": " + why);
        }

        @Override
        public void fellBack(String step, String why) {
            fallbacks.add(step);
            whys.add(why);
        }
    }

    @AfterEach
    void clearSwitches() {
        System.clearProperty(FAULT);
        System.clearProperty(BackendSelector.AUTO_USES_CPU_DEVICES);
    }

    private static double[] batch(int rows, int d) {
        return LayerNormEngineContract.gaussianRow(new SplittableRandom(rows * 31L + d), rows * d, 1e6, 3);
    }

    private static double[] javaOutput(double[] in, int rows, int d) {
        double[] out = new double[in.length];
        new JavaLayerNorm().normalize(in, out, BatchLayout.uniform(rows, d), LayerNormSpec.of(1e-5));
        return out;
    }

    /** Runs three batches through the selected engine and returns the last output. */
    private static double[] runBatches(LayerNormEngine engine, double[] in, int rows, int d) {
        double[] out = new double[in.length];
        for (int b = 0; b < 3; b++) {
            engine.normalize(in, out, BatchLayout.uniform(rows, d), LayerNormSpec.of(1e-5));
        }
        return out;
    }

    @Test
    void javaBackendUsesTheJavaEngineAndCountsEveryRow() {
        Recorder recorder = new Recorder();
        double[] in = batch(50, 8);
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.JAVA, null, KernelShape.AUTO, false, recorder))) {
            assertArrayEquals(javaOutput(in, 50, 8), runBatches(engine, in, 50, 8), 0.0);
        }
        assertEquals(Map.of("java", 150L), recorder.rows);
        assertTrue(recorder.opened.isEmpty());
    }

    @Test
    @RequiresOpenClDevice
    void openclBackendRunsOnAnOpenClDeviceWithinTheDoubleTolerance() {
        OpenClTestSupport.requireDevice();
        Recorder recorder = new Recorder();
        double[] in = batch(200, 64);
        double[] expected = javaOutput(in, 200, 64);
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, recorder))) {
            double[] out = runBatches(engine, in, 200, 64);
            for (int i = 0; i < out.length; i++) {
                assertEquals(expected[i], out[i], 1e-12 * Math.max(1, Math.abs(expected[i])), "value " + i);
            }
        }
        assertEquals(Map.of("opencl", 600L), recorder.rows);
        assertEquals(1, recorder.opened.size());
    }

    @Test
    void autoWithoutAGpuUsesJavaAndDoesNotComplain() {
        Recorder recorder = new Recorder();
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, recorder))) {
            runBatches(engine, batch(10, 4), 10, 4);
        }
        String expected = OpenClTestSupport.gpusByClinfo() == 0 ? "java" : "opencl";
        assertEquals(Map.of(expected, 30L), recorder.rows);
        assertTrue(recorder.fallbacks.isEmpty());
        assertEquals(1, recorder.reasons.size(), recorder.reasons.toString());
        if (expected.equals("java")) {
            assertTrue(recorder.reasons.get(0).startsWith("java: backend 'auto' and no OpenCL GPU: found "),
                    recorder.reasons.toString());
        }
    }

    @Test
    void autoWithAnAssignedGpuOpenClCannotSeeFallsBackAndSaysWhy() {
        Recorder recorder = new Recorder();
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.AUTO, "99", KernelShape.AUTO, false, recorder))) {
            runBatches(engine, batch(10, 4), 10, 4);
        }
        assertEquals(Map.of("java", 30L), recorder.rows);
        assertEquals(1, recorder.fallbacks.size());
        assertTrue(recorder.whys.get(0).contains("Spark assigned GPU '99'"),
                recorder.whys.get(0));
    }

    @Test
    void openclWithAnAssignedGpuOpenClCannotSeeIsAnErrorThatSaysWhatWasFound() {
        OpenClFailure e = assertThrows(OpenClFailure.class,
                () -> BackendSelector.open(Backend.OPENCL, "99", KernelShape.AUTO, false, new Recorder()));
        assertTrue(e.getMessage().contains("Spark assigned GPU '99'") && e.getMessage().contains("found"),
                e.getMessage());
    }

    @Test
    @RequiresOpenClDevice
    void compileFailureUnderAutoFallsBackToJava() {
        OpenClTestSupport.requireDevice();
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        System.setProperty(FAULT, "compile");
        Recorder recorder = new Recorder();
        double[] in = batch(40, 16);
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, recorder))) {
            assertArrayEquals(javaOutput(in, 40, 16), runBatches(engine, in, 40, 16), 0.0);
        }
        assertEquals(Map.of("java", 120L), recorder.rows);
        assertEquals(OpenClFailure.Stage.COMPILE.word(), recorder.fallbacks.get(0));
    }

    @Test
    @RequiresOpenClDevice
    void compileFailureUnderOpenclIsAnError() {
        OpenClTestSupport.requireDevice();
        System.setProperty(FAULT, "compile");
        OpenClFailure e = assertThrows(OpenClFailure.class, () -> BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder()));
        assertEquals(OpenClFailure.Stage.COMPILE, e.stage());
    }

    @Test
    @RequiresOpenClDevice
    void executionFailureUnderAutoRecomputesTheBatchWithJava() {
        OpenClTestSupport.requireDevice();
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
        Recorder recorder = new Recorder();
        double[] in = batch(40, 16);
        double[] out = new double[in.length];
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, recorder))) {
            engine.normalize(in, out, BatchLayout.uniform(40, 16), LayerNormSpec.of(1e-5));
            System.setProperty(FAULT, "execute");
            java.util.Arrays.fill(out, -7.0);
            engine.normalize(in, out, BatchLayout.uniform(40, 16), LayerNormSpec.of(1e-5));
            assertArrayEquals(javaOutput(in, 40, 16), out, 0.0, "the failed batch is the Java engine's output");
            System.clearProperty(FAULT);
            engine.normalize(in, out, BatchLayout.uniform(40, 16), LayerNormSpec.of(1e-5));
        }
        assertEquals(Map.of("opencl", 40L, "java", 80L), recorder.rows, "no row lost or counted twice");
        assertEquals(1, recorder.fallbacks.size());
        assertEquals(OpenClFailure.Stage.EXECUTE.word(), recorder.fallbacks.get(0));
    }

    @Test
    @RequiresOpenClDevice
    void executionFailureUnderOpenclIsAnError() {
        OpenClTestSupport.requireDevice();
        try (LayerNormEngine engine = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder())) {
            System.setProperty(FAULT, "execute");
            OpenClFailure e = assertThrows(OpenClFailure.class, () ->
                    engine.normalize(new float[8], new float[8], BatchLayout.uniform(2, 4), LayerNormSpec.of(1e-5)));
            assertEquals(OpenClFailure.Stage.EXECUTE, e.stage());
            assertTrue(e.getMessage().contains("injected execute failure"), e.getMessage());
        }
    }
}
