package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java engine against {@code System.arraycopy}, the two-pass floor and ONNX Runtime in one JVM,
 * all alternating round after round over the same data (the JMH benchmarks run each in a JVM of its
 * own, minutes apart, and on a shared machine the copy alone moved by a third between such runs).
 * Prints, per shape and contender, the best time and the median of the rounds' own ratios: to the
 * copy, and the Java engine's speed against the contender (its time over the engine's, so 1.3x
 * means the engine took 1/1.3 of its time).
 *
 * <p>Run: {@code bin/bench-kernels --paired [d=256,1024] [type=float,double]
 * [engine=java,two-pass-floor,onnxruntime] [norm=layer,rms] [rounds=40]}. {@code -Dsparklayernorm.simd=256}
 * (through {@code JAVA_OPTS}) holds the engine to 256-bit registers.
 */
public final class PairedKernelRatios {

    public static void main(String[] args) {
        List<String> ds = List.of("256", "1024");
        List<String> types = List.of("float", "double");
        List<String> engines = List.of("java", "two-pass-floor", "onnxruntime");
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
        System.out.printf("%d rows per shape (values 100 +- 1.75), batches of 4096 rows, one thread, %d rounds of the"
                + " copy then each contender; Java engine on %s; ONNX Runtime %s; %s cores, %s%n", KernelData.ROWS, rounds,
                new JavaLayerNorm().instructionSet(), OnnxRuntimePeer.version(), Runtime.getRuntime().availableProcessors(),
                cpu());
        System.out.println("| d | type | norm | contender | best | copy, best | median of the rounds' ratios to the copy"
                + " | Java engine's speed against it, median of the rounds | largest difference from the engine |");
        System.out.println("| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (String d : ds) {
            for (String type : types) {
                KernelData data = new KernelData(Integer.parseInt(d), type, 4096);
                for (String norm : norms) {
                    measure(data, Integer.parseInt(d), type, engines, norm, rounds);
                }
            }
        }
    }

    /** One contender: what it runs over the data, and what it holds. */
    private interface Contender extends AutoCloseable {
        void run();

        /** Its largest difference from the exact engine, of the largest output value ("" for the library's own). */
        default String difference() {
            return "";
        }

        @Override
        void close();
    }

    private static void measure(KernelData data, int d, String type, List<String> names, String norm, int rounds) {
        double[] scale = new double[d];
        double[] shift = new double[d];
        for (int i = 0; i < d; i++) {
            scale[i] = 1.0 + i % 7 * 0.125;
            shift[i] = i % 5 * 0.25 - 0.5;
        }
        LayerNormSpec spec = norm.equals("rms") ? LayerNormSpec.rms(1e-5, scale) : LayerNormSpec.of(1e-5, scale, shift);
        List<Contender> contenders = new ArrayList<>();
        for (String name : names) {
            contenders.add(contender(name, data, d, spec));
        }
        int java = names.indexOf("java");
        try {
            // Warm-up: all compiled before any round counts.
            for (int i = 0; i < 5; i++) {
                data.copy();
                for (Contender c : contenders) {
                    c.run();
                }
            }
            double bestCopy = Double.MAX_VALUE;
            double[] best = new double[names.size()];
            Arrays.fill(best, Double.MAX_VALUE);
            double[][] toCopy = new double[names.size()][rounds];
            double[][] javaAgainst = new double[names.size()][rounds];
            double[] ms = new double[names.size()];
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                data.copy();
                double copyMs = (System.nanoTime() - start) / 1e6;
                bestCopy = Math.min(bestCopy, copyMs);
                for (int c = 0; c < contenders.size(); c++) {
                    long from = System.nanoTime();
                    contenders.get(c).run();
                    ms[c] = (System.nanoTime() - from) / 1e6;
                    best[c] = Math.min(best[c], ms[c]);
                    toCopy[c][round] = copyMs / ms[c];
                }
                for (int c = 0; c < contenders.size() && java >= 0; c++) {
                    javaAgainst[c][round] = ms[c] / ms[java];
                }
            }
            for (int c = 0; c < contenders.size(); c++) {
                System.out.printf("| %d | %s | %s | %s | %.2f ms | %.2f ms | %.2fx | %s | %s |%n", d, type, norm,
                        names.get(c), best[c], bestCopy, median(toCopy[c]),
                        java < 0 || c == java ? "" : String.format("%.2fx", median(javaAgainst[c])),
                        contenders.get(c).difference());
            }
        } finally {
            for (Contender c : contenders) {
                c.close();
            }
        }
    }

    private static Contender contender(String name, KernelData data, int d, LayerNormSpec spec) {
        switch (name) {
            case "java":
                return engine(new JavaLayerNorm(), data, spec);
            case "java-scalar":
                return engine(JavaLayerNorm.scalar(), data, spec);
            case "two-pass-floor":
                return engine(new TwoPassFloor(), data, spec);
            case "onnxruntime":
                OnnxRuntimePeer peer = new OnnxRuntimePeer(data, d, spec);
                // The peer must compute what the engine does before its time means anything.
                normalize(data, new JavaLayerNorm(), spec);
                peer.normalize();
                double difference = peer.largestDifference(data);
                // A peer that computed something else would be timed for nothing; one that is
                // merely inexact is timed, and the table says by how much.
                if (!(difference < 0.1)) {
                    throw new IllegalStateException("ONNX Runtime's output differs from the engine's by " + difference
                            + " of the largest value: not the same normalization");
                }
                String accuracy = String.format("%.1e", difference);
                return new Contender() {
                    @Override
                    public void run() {
                        peer.normalize();
                    }

                    @Override
                    public String difference() {
                        return accuracy;
                    }

                    @Override
                    public void close() {
                        peer.close();
                    }
                };
            default:
                throw new IllegalArgumentException("engine " + name + " (java, java-scalar, two-pass-floor, onnxruntime)");
        }
    }

    private static Contender engine(LayerNormEngine engine, KernelData data, LayerNormSpec spec) {
        return new Contender() {
            @Override
            public void run() {
                normalize(data, engine, spec);
            }

            @Override
            public void close() {
                engine.close();
            }
        };
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

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The CPU's model name, as Linux gives it, for the figures' machine. */
    static String cpu() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux: the figures say less about their machine.
        }
        return "CPU unknown";
    }

    private PairedKernelRatios() {
    }
}
