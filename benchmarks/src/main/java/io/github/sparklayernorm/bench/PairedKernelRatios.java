package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java engine against {@code System.arraycopy} in one JVM, the two alternating round after
 * round over the same data (the JMH benchmarks run each in a JVM of its own, minutes apart, and
 * on a shared machine the copy alone moved by a third between such runs). Prints, per shape, the
 * best time of each and the median of the rounds' own ratios.
 *
 * <p>Run: {@code bin/bench-kernels --paired [d=256,1024] [type=float,double] [engine=java,two-pass-floor]
 * [norm=layer,rms] [rounds=40]}. {@code -Dsparklayernorm.simd=256} (through {@code JAVA_OPTS})
 * holds the engine to 256-bit registers.
 */
public final class PairedKernelRatios {

    public static void main(String[] args) {
        List<String> ds = List.of("256", "1024");
        List<String> types = List.of("float", "double");
        List<String> engines = List.of("java", "two-pass-floor");
        List<String> norms = List.of("layer", "rms");
        int rounds = 40;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("arguments are param=value[,value...], got " + arg);
            }
            List<String> values = List.of(arg.substring(eq + 1).split(","));
            switch (arg.substring(0, eq)) {
                case "d": ds = values; break;
                case "type": types = values; break;
                case "engine": engines = values; break;
                case "norm": norms = values; break;
                case "rounds": rounds = Integer.parseInt(values.get(0)); break;
                default: throw new IllegalArgumentException("unknown parameter " + arg);
            }
        }
        System.out.printf("%d rows per shape, batches of 4096 rows, one thread, %d rounds of copy then engine; "
                + "Java engine on %s%n", KernelData.ROWS, rounds, new JavaLayerNorm().instructionSet());
        System.out.println("| d | type | engine/norm | copy, best | engine, best | best against best | median of the rounds' ratios |");
        System.out.println("| ---: | --- | --- | ---: | ---: | ---: | ---: |");
        for (String d : ds) {
            for (String type : types) {
                KernelData data = new KernelData(Integer.parseInt(d), type, 4096);
                for (String engineName : engines) {
                    for (String norm : norms) {
                        measure(data, Integer.parseInt(d), type, engineName, norm, rounds);
                    }
                }
            }
        }
    }

    private static void measure(KernelData data, int d, String type, String engineName, String norm, int rounds) {
        LayerNormEngine engine = engineName.equals("java") ? new JavaLayerNorm()
                : engineName.equals("two-pass-floor") ? new TwoPassFloor()
                : engineName.equals("java-scalar") ? JavaLayerNorm.scalar() : null;
        if (engine == null) {
            throw new IllegalArgumentException("engine " + engineName + " (java, java-scalar, two-pass-floor)");
        }
        double[] scale = new double[d];
        double[] shift = new double[d];
        for (int i = 0; i < d; i++) {
            scale[i] = 1.0 + i % 7 * 0.125;
            shift[i] = i % 5 * 0.25 - 0.5;
        }
        LayerNormSpec spec = norm.equals("rms") ? LayerNormSpec.rms(1e-5, scale) : LayerNormSpec.of(1e-5, scale, shift);
        // Warm-up: both compiled before any round counts.
        for (int i = 0; i < 5; i++) {
            data.copy();
            normalize(data, engine, spec);
        }
        double bestCopy = Double.MAX_VALUE;
        double bestEngine = Double.MAX_VALUE;
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            data.copy();
            long copied = System.nanoTime();
            normalize(data, engine, spec);
            long normalized = System.nanoTime();
            double copyMs = (copied - start) / 1e6;
            double engineMs = (normalized - copied) / 1e6;
            bestCopy = Math.min(bestCopy, copyMs);
            bestEngine = Math.min(bestEngine, engineMs);
            ratios[round] = copyMs / engineMs;
        }
        Arrays.sort(ratios);
        double median = ratios[rounds / 2];
        System.out.printf("| %d | %s | %s/%s | %.2f ms | %.2f ms | %.2fx | %.2fx |%n", d, type, engineName, norm,
                bestCopy, bestEngine, bestCopy / bestEngine, median);
    }

    private static void normalize(KernelData data, LayerNormEngine engine, LayerNormSpec spec) {
        for (BatchLayout batch : data.batches) {
            if (data.floatIn != null) {
                engine.normalize(data.floatIn, data.floatOut, batch, spec);
            } else {
                engine.normalize(data.doubleIn, data.doubleOut, batch, spec);
            }
        }
    }

    private PairedKernelRatios() {
    }
}
