package io.github.sparklayernorm.kernels.bench;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.CpuLayerNorm;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Throughput of the engines in one run, as ratios to {@code System.arraycopy} of the same bytes
 * (machines here are shared and noisy: compare within a run). Bytes = values read + written.
 * For each row length d and batch size: the Java engine on one thread, and the OpenCL engine on
 * the first OpenCL device (PoCL's CPU device where there is no GPU), float rows, layer norm and
 * RMS norm. A row of d values stands for a group of d too: with groupSize the engine sees each
 * group as a row.
 *
 * <p>Run: {@code bin/bench-engines [totalRows]}.
 */
public final class EngineThroughput {

    public static void main(String[] args) {
        int totalRows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        LayerNormEngine openCl = OpenClDevices.all().isEmpty() ? null : new OpenClLayerNorm(OpenClDevices.all().get(0));
        System.out.println("OpenCL device: " + (openCl == null ? "none" : ((OpenClLayerNorm) openCl).device()));
        System.out.println("GB/s of float bytes read + written; copy = System.arraycopy of the same bytes");
        System.out.printf("%6s %7s %10s %10s %10s %10s %10s %9s %9s%n", "d", "batch", "copy", "java", "opencl",
                "java-rms", "ocl-rms", "java/copy", "ocl/java");
        for (int d : new int[] {64, 256, 1024}) {
            int rows = Math.max(1, totalRows * 256 / d / 4);
            for (int batch : new int[] {256, 1024, 4096, 16384}) {
                if (batch > rows) {
                    continue;
                }
                float[] data = new float[rows * d];
                SplittableRandom random = new SplittableRandom(d);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (100 + random.nextDouble());
                }
                float[] out = new float[data.length];
                double bytes = 2.0 * data.length * Float.BYTES;
                double copy = bytes / best(() -> System.arraycopy(data, 0, out, 0, data.length)) / 1e9;
                LayerNormEngine java = new CpuLayerNorm();
                LayerNormSpec layer = LayerNormSpec.of(1e-5);
                LayerNormSpec rms = LayerNormSpec.rms(1e-5, null);
                double javaRate = bytes / best(() -> inBatches(java, data, out, rows, d, batch, layer)) / 1e9;
                double oclRate = openCl == null ? Double.NaN
                        : bytes / best(() -> inBatches(openCl, data, out, rows, d, batch, layer)) / 1e9;
                double javaRms = bytes / best(() -> inBatches(java, data, out, rows, d, batch, rms)) / 1e9;
                double oclRms = openCl == null ? Double.NaN
                        : bytes / best(() -> inBatches(openCl, data, out, rows, d, batch, rms)) / 1e9;
                System.out.printf("%6d %7d %10.2f %10.2f %10.2f %10.2f %10.2f %9.2f %9.2f%n", d, batch, copy, javaRate,
                        oclRate, javaRms, oclRms, javaRate / copy, oclRate / javaRate);
            }
        }
        if (openCl != null) {
            openCl.close();
        }
    }

    private static void inBatches(LayerNormEngine engine, float[] data, float[] out, int rows, int d, int batch,
                                  LayerNormSpec spec) {
        float[] in = new float[batch * d];
        float[] result = new float[batch * d];
        for (int start = 0; start < rows; start += batch) {
            int n = Math.min(batch, rows - start);
            System.arraycopy(data, start * d, in, 0, n * d);
            engine.normalize(in, result, BatchLayout.uniform(n, d), spec);
            System.arraycopy(result, 0, out, start * d, n * d);
        }
    }

    /** Seconds of the fastest of 7 runs, after 3 warm-up runs. */
    private static double best(Runnable work) {
        double[] times = new double[10];
        for (int i = 0; i < times.length; i++) {
            long t0 = System.nanoTime();
            work.run();
            times[i] = (System.nanoTime() - t0) / 1e9;
        }
        return Arrays.stream(times, 3, times.length).min().getAsDouble();
    }

    private EngineThroughput() {
    }
}
