package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One engine over {@value KernelData#ROWS} rows, batch by batch, as the transformer drives it:
 * {@code java} (the Java engine on the fastest passes this JVM has: the Vector API here, at the
 * width the JVM prefers), {@code java-256} (the same held to 256-bit registers, as on CPUs without
 * AVX-512), {@code java-scalar} (the same engine on its scalar passes) and {@code opencl} (the first OpenCL
 * device: PoCL's CPU device where no GPU is), {@code two-pass-floor}, a yardstick rather than
 * an engine ({@link TwoPassFloor}), and {@code onnxruntime}, the peer ({@link OnnxRuntimePeer}).
 * Layer norm with scale and shift, or RMS norm with a scale, as a
 * trained model would supply them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EngineBenchmark {

    @Param({"64", "256", "1024", "4096"})
    int d;

    @Param({"float", "double"})
    String type;

    /** Rows per batch: the transformer's default; a sweep (batch=256,1024,4096,16384) shows what a device gains. */
    @Param({"4096"})
    int batch;

    @Param({"java", "java-256", "java-scalar", "opencl", "two-pass-floor", "onnxruntime"})
    String engine;

    @Param({"layer", "rms"})
    String norm;

    private KernelData data;
    private LayerNormEngine layerNorm;
    private LayerNormSpec spec;
    private OnnxRuntimePeer peer;

    @Setup
    public void setUp() {
        data = new KernelData(d, type, batch);
        switch (engine) {
            case "java":
                layerNorm = new JavaLayerNorm();
                break;
            case "java-256":
                // Each parameter set runs in a JVM of its own (a fork), where the passes' class
                // reads the width on first use: nothing has used them before this point.
                System.setProperty("sparklayernorm.simd", "256");
                JavaLayerNorm capped = new JavaLayerNorm();
                if (!capped.instructionSet().endsWith("256-bit")) {
                    throw new IllegalStateException("java-256 runs on " + capped.instructionSet());
                }
                layerNorm = capped;
                break;
            case "java-scalar":
                layerNorm = JavaLayerNorm.scalar();
                break;
            case "two-pass-floor":
                layerNorm = new TwoPassFloor();
                break;
            case "onnxruntime":
                break;
            case "opencl":
                if (OpenClDevices.all().isEmpty()) {
                    throw new IllegalStateException("no OpenCL device: install PoCL (docs/guide/development.md) or leave out engine=opencl");
                }
                layerNorm = new OpenClLayerNorm(OpenClDevices.all().get(0));
                break;
            default:
                throw new IllegalArgumentException("engine " + engine);
        }
        double[] scale = new double[d];
        double[] shift = new double[d];
        for (int i = 0; i < d; i++) {
            scale[i] = 1.0 + i % 7 * 0.125;
            shift[i] = i % 5 * 0.25 - 0.5;
        }
        spec = norm.equals("rms") ? LayerNormSpec.rms(1e-5, scale) : LayerNormSpec.of(1e-5, scale, shift);
        if (engine.equals("onnxruntime")) {
            peer = new OnnxRuntimePeer(data, d, spec);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (peer != null) {
            peer.close();
        } else {
            layerNorm.close();
        }
    }

    @Benchmark
    public Object normalize() {
        if (peer != null) {
            peer.normalize();
            return peer;
        }
        for (BatchLayout batch : data.batches) {
            if (data.floatIn != null) {
                layerNorm.normalize(data.floatIn, data.floatOut, batch, spec);
            } else {
                layerNorm.normalize(data.doubleIn, data.doubleOut, batch, spec);
            }
        }
        return data.floatOut != null ? data.floatOut : data.doubleOut;
    }
}
