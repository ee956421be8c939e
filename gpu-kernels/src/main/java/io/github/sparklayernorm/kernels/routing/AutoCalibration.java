package io.github.sparklayernorm.kernels.routing;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backend {@code auto}'s choice, by measurement, between an OpenCL device and the Java engine, per
 * device and row shape (element type and row length), once per JVM (an executor): the first
 * batches of a shape run on both, timed (the device's time includes its transfers), and the faster
 * takes every later batch of that shape. The first batch of each is a warm-up (the JIT, the
 * kernel's first run); the best of the next {@value #SAMPLES} decides.
 */
final class AutoCalibration {

    /** Measured batches per shape, after the warm-up. */
    static final int SAMPLES = 3;

    /** What was decided for one device and shape. */
    static final class Decision {
        final boolean java;
        final String device;
        final String shape;
        final double deviceNanosPerValue;
        final double javaNanosPerValue;

        Decision(boolean java, String device, String shape, double deviceNanosPerValue, double javaNanosPerValue) {
            this.java = java;
            this.device = device;
            this.shape = shape;
            this.deviceNanosPerValue = deviceNanosPerValue;
            this.javaNanosPerValue = javaNanosPerValue;
        }

        /** Why a batch went where it went, in words short enough for a metric's name. */
        String reason() {
            return (java ? "measured faster than the device" : "measured faster than the Java engine") + " for " + shape;
        }

        /** The figures, for the executor's log. */
        String figures() {
            return String.format(Locale.ROOT, "%s: %s %.3f ns per value (transfers included), the Java engine %.3f ns"
                    + " per value; %s takes them", shape, device, deviceNanosPerValue, javaNanosPerValue,
                    java ? "the Java engine" : "the device");
        }
    }

    private static final class Samples {
        int seen;
        double bestDevice = Double.MAX_VALUE;
        double bestJava = Double.MAX_VALUE;
    }

    private static final Map<String, Decision> DECIDED = new ConcurrentHashMap<>();
    private static final Map<String, Samples> MEASURED = new ConcurrentHashMap<>();

    private AutoCalibration() {
    }

    private static String key(String device, String shape) {
        return device + "|" + shape;
    }

    /** The decision for this device and shape, or {@code null} while it is still measured. */
    static Decision decided(String device, String shape) {
        return DECIDED.get(key(device, shape));
    }

    /**
     * One measured batch; returns the decision when this batch made it (once per device and shape
     * in the JVM), else {@code null}.
     */
    static Decision record(String device, String shape, double deviceNanosPerValue, double javaNanosPerValue) {
        String key = key(device, shape);
        Samples samples = MEASURED.computeIfAbsent(key, k -> new Samples());
        synchronized (samples) {
            if (DECIDED.containsKey(key)) {
                return null;
            }
            if (samples.seen++ > 0) {
                samples.bestDevice = Math.min(samples.bestDevice, deviceNanosPerValue);
                samples.bestJava = Math.min(samples.bestJava, javaNanosPerValue);
            }
            if (samples.seen <= SAMPLES) {
                return null;
            }
            Decision decision = new Decision(samples.bestJava < samples.bestDevice, device, shape, samples.bestDevice,
                    samples.bestJava);
            DECIDED.put(key, decision);
            return decision;
        }
    }

    /** Forgets every measurement and decision (tests). */
    static void forget() {
        DECIDED.clear();
        MEASURED.clear();
    }
}
