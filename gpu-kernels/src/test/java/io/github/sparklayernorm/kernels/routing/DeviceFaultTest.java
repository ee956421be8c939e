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

import io.github.sparklayernorm.kernels.opencl.FaultInjection;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClTestSupport;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way the OpenCL path can fail, injected on a real device (PoCL's CPU device in CI): under
 * {@code auto} the output is the Java engine's, bit for bit; under {@code opencl} the error names
 * the stage. A device fault is never taken for bad data.
 */
@RequiresOpenClDevice
class DeviceFaultTest {

    /** Every stage a fault can be injected at (all but 'device', which is the machine's), and Aparapi's fallback. */
    static Stream<String> faults() {
        return Stream.concat(Arrays.stream(OpenClFailure.Stage.values()).filter(s -> s != OpenClFailure.Stage.DEVICE)
                .map(OpenClFailure.Stage::word), Stream.of("fallback"));
    }

    /** Records what the engines report. */
    private static final class Recorder implements BackendListener {
        final Map<String, Long> rows = new TreeMap<>();

        /** The engine, its batches counted into {@link #rows}. */
        LayerNormEngine count(RoutedLayerNorm engine) {
            return new CountedEngine(engine, rows);
        }
        final List<String> events = new ArrayList<>();

        @Override
        public void recomputed(String device, String what) {
            events.add("recomputed output");
        }

        @Override
        public void fellBack(String step, String why) {
            events.add("fell back at " + step);
        }
    }

    @BeforeEach
    void useTheCpuDeviceUnderAuto() {
        OpenClTestSupport.requireDevice();
        System.setProperty(BackendSelector.AUTO_USES_CPU_DEVICES, "true");
    }

    @AfterEach
    void clearSwitches() {
        System.clearProperty(FaultInjection.PROPERTY);
        System.clearProperty(BackendSelector.AUTO_USES_CPU_DEVICES);
        System.clearProperty(OpenClEnginePool.MAX_CONTEXTS);
        System.clearProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS);
    }

    private static final int ROWS = 64;
    private static final int D = 48;

    private static double[] batch() {
        return LayerNormEngineContract.gaussianRow(new SplittableRandom(11), ROWS * D, 3e5, 2);
    }

    private static float[] floats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    @ParameterizedTest
    @MethodSource("faults")
    void underAutoEveryFaultGivesTheJavaEnginesOutputBitForBit(String fault) {
        System.setProperty(FaultInjection.PROPERTY, fault);
        double[] in = batch();
        LayerNormSpec spec = LayerNormSpec.of(1e-5, LayerNormEngineContract.gaussianRow(new SplittableRandom(3), D, 1, 1), null);
        double[] expected = new double[in.length];
        new JavaLayerNorm().normalize(in, expected, BatchLayout.uniform(ROWS, D), spec);
        float[] expectedF = new float[in.length];
        new JavaLayerNorm().normalize(floats(in), expectedF, BatchLayout.uniform(ROWS, D), spec);

        Recorder recorder = new Recorder();
        double[] out = new double[in.length];
        float[] outF = new float[in.length];
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, recorder))) {
            engine.normalize(in, out, BatchLayout.uniform(ROWS, D), spec);
            engine.normalize(floats(in), outF, BatchLayout.uniform(ROWS, D), spec);
        }
        assertArrayEquals(expected, out, 0.0, fault);
        assertArrayEquals(expectedF, outF, 0.0f, fault);
        assertEquals(Map.of("java", 2L * ROWS), recorder.rows, fault + ": every row counted once, as Java's");
        String stage = fault.equals("fallback") ? "execute" : fault;
        assertTrue(recorder.events.contains("fell back at " + stage) || recorder.events.contains("recomputed " + stage),
                fault + ": " + recorder.events);
    }

    @ParameterizedTest
    @MethodSource("faults")
    void underOpenclEveryFaultIsAnErrorNamingTheStage(String fault) {
        System.setProperty(FaultInjection.PROPERTY, fault);
        String stage = fault.equals("fallback") ? "execute" : fault;
        OpenClFailure e = assertThrows(OpenClFailure.class, () -> {
            try (LayerNormEngine engine = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder())) {
                engine.normalize(batch(), new double[ROWS * D], BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
            }
        });
        assertEquals(stage, e.stage().word(), e.getMessage());
        assertTrue(e.getMessage().contains(fault.equals("output") ? "wrote NaN or infinite values" : stage),
                e.getMessage());
    }

    /** A scale so large that float outputs overflow is the data's doing: the same on Java, no fault. */
    @Test
    void anOverflowCausedByTheScaleIsNoDeviceFault() {
        double[] scale = new double[D];
        java.util.Arrays.fill(scale, 1e38);
        LayerNormSpec spec = LayerNormSpec.of(1e-5, scale, null);
        float[] in = floats(batch());
        float[] expected = new float[in.length];
        new JavaLayerNorm().normalize(in, expected, BatchLayout.uniform(ROWS, D), spec);
        assertTrue(Float.isInfinite(max(expected)), "the Java engine overflows too");
        Recorder recorder = new Recorder();
        float[] out = new float[in.length];
        try (LayerNormEngine engine = recorder.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, recorder))) {
            engine.normalize(in, out, BatchLayout.uniform(ROWS, D), spec);
        }
        assertArrayEquals(expected, out, 0.0f);
        assertEquals(Map.of("opencl", (long) ROWS), recorder.rows);
        assertTrue(recorder.events.isEmpty(), recorder.events.toString());
    }

    private static float max(float[] values) {
        float max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    @Test
    void theContextsOfADeviceAreBounded() throws Exception {
        System.setProperty(OpenClEnginePool.MAX_CONTEXTS, "1");
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        double[] in = batch();
        LayerNormEngine held = first.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, first));
        try {
            held.normalize(in, new double[in.length], BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
            // Under auto, a task that finds the device's only context busy uses Java rather than wait.
            try (LayerNormEngine auto = second.count(BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, second))) {
                auto.normalize(in, new double[in.length], BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
            }
            assertEquals(Map.of("java", (long) ROWS), second.rows);
            // Under opencl it waits until the context is given back.
            AtomicLong openedAt = new AtomicLong();
            CompletableFuture<LayerNormEngine> waiting = CompletableFuture.supplyAsync(() -> {
                LayerNormEngine engine = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder());
                openedAt.set(System.nanoTime());
                return engine;
            });
            Thread.sleep(500);
            assertTrue(!waiting.isDone(), "waits while the context is in use");
            long releasedAt = System.nanoTime();
            held.close();
            held = waiting.get(30, TimeUnit.SECONDS);
            // Not merely slow: it got its engine only once the one context was given back.
            assertTrue(openedAt.get() > releasedAt, "the waiting open went on only after the release");
        } finally {
            held.close();
        }
        assertEquals(Map.of("opencl", (long) ROWS), first.rows);
    }
    /**
     * Making an engine that throws what no stage expects, again and again, leaks no context: the
     * pool's whole size can be borrowed at once afterwards, none of them waiting.
     */
    @Test
    void aCrashWhileMakingAnEngineLeaksNoContext() {
        System.setProperty(OpenClEnginePool.MAX_CONTEXTS, "2");
        // A context still counted as taken would make an open wait this second, then use Java.
        System.setProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS, "1");
        System.setProperty(FaultInjection.PROPERTY, "crash");
        for (int i = 0; i < 5; i++) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder()));
            assertTrue(e.getMessage().contains("injected crash"), e.getMessage());
        }
        System.clearProperty(FaultInjection.PROPERTY);
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        double[] in = batch();
        try (LayerNormEngine a = first.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, first));
                LayerNormEngine b = second.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false,
                        second))) {
            a.normalize(in, new double[in.length], BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
            b.normalize(in, new double[in.length], BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
        }
        assertEquals(Map.of("opencl", (long) ROWS), first.rows);
        assertEquals(Map.of("opencl", (long) ROWS), second.rows, "both contexts were free: " + second.events);
    }

    /**
     * Under opencl, a task that waits for a busy device gives up at the deadline, or at once when
     * its task ends, and its batches run on Java with the same bits; the listener hears why.
     */
    @Test
    void waitingForABusyDeviceEndsAtTheDeadlineOrWhenTheTaskEnds() throws Exception {
        System.setProperty(OpenClEnginePool.MAX_CONTEXTS, "1");
        System.setProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS, "1");
        double[] in = batch();
        double[] expected = new double[in.length];
        new JavaLayerNorm().normalize(in, expected, BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5), null);
        try (LayerNormEngine held = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, new Recorder())) {
            Recorder late = new Recorder();
            long start = System.nanoTime();
            double[] out = new double[in.length];
            try (LayerNormEngine engine = late.count(BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false,
                    late))) {
                engine.normalize(in, out, BatchLayout.uniform(ROWS, D), LayerNormSpec.of(1e-5));
            }
            double waited = (System.nanoTime() - start) / 1e9;
            assertTrue(waited >= 0.9 && waited < 20, "waited " + waited + " s");
            assertEquals(List.of("fell back at wait"), late.events);
            assertEquals(Map.of("java", (long) ROWS), late.rows);
            assertArrayEquals(expected, out, 0.0);

            System.setProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS, "600");
            java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
            Recorder killed = new Recorder();
            CompletableFuture<RoutedLayerNorm> waiting = CompletableFuture.supplyAsync(() -> BackendSelector.open(
                    Backend.OPENCL, null, KernelShape.AUTO, false, ended::get, killed));
            Thread.sleep(500);
            assertTrue(!waiting.isDone(), "waits while the task runs");
            ended.set(true);
            try (RoutedLayerNorm engine = waiting.get(20, TimeUnit.SECONDS)) {
                assertEquals(JavaLayerNorm.NAME, engine.name());
            }
            assertEquals(List.of("fell back at wait"), killed.events);
        }
    }
}
