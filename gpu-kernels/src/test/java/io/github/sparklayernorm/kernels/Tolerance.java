package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * How close an engine's output must be to {@link ExactLayerNorm}, and why.
 *
 * <p>Double: every step of the engine (deviation, sum, square root, division, affine) contributes
 * a few ulps relative to the row's scale, about 1e-15; 1e-12 leaves room for the blocked sums of
 * very long rows and is the bar users are promised. The bound is relative to the row's largest
 * standardized value (times |scale|) plus |shift|, because a value that normalizes to almost 0
 * cannot carry a relative error below the row's own rounding.
 *
 * <p>Float: the engine computes in double and rounds once, so it must sit within half a float ulp
 * of the exact value, plus the double error above.
 */
public final class Tolerance {

    public static final double DOUBLE_RELATIVE = 1e-12;

    private static double maxAbs(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static double rowScale(double maxZ, double[] scale, double[] shift, int i) {
        double g = scale == null ? 1.0 : Math.abs(scale[i]);
        double b = shift == null ? 0.0 : Math.abs(shift[i]);
        return g * maxZ + b;
    }

    public static void assertDoubleRowClose(String what, double[] actual, int offset, ExactLayerNorm.Result ref,
                                     double[] scale, double[] shift) {
        double maxZ = maxAbs(ref.z);
        for (int i = 0; i < ref.y.length; i++) {
            double error = Math.abs(actual[offset + i] - ref.y[i]);
            double bound = DOUBLE_RELATIVE * rowScale(maxZ, scale, shift, i);
            if (!(error <= bound)) {
                fail(what + ": value " + i + " is " + actual[offset + i] + ", exact " + ref.y[i]
                        + ", error " + error + " > " + bound);
            }
        }
    }

    public static void assertFloatRowClose(String what, float[] actual, int offset, ExactLayerNorm.Result ref,
                                    double[] scale, double[] shift) {
        double maxZ = maxAbs(ref.z);
        for (int i = 0; i < ref.y.length; i++) {
            double error = Math.abs(actual[offset + i] - ref.y[i]);
            double bound = 0.5 * Math.ulp((float) ref.y[i]) + DOUBLE_RELATIVE * rowScale(maxZ, scale, shift, i);
            if (!(error <= bound)) {
                fail(what + ": value " + i + " is " + actual[offset + i] + ", exact " + ref.y[i]
                        + ", error " + error + " > one float rounding " + bound);
            }
        }
    }

    /**
     * The same bits, value for value (NaNs are equal to each other; {@code -0.0} and {@code 0.0} are
     * not): what every backend owes the Java engine. The message names the first difference and how
     * many ulps apart it is, and counts the differences.
     */
    public static void assertSameBits(String what, double[] expected, double[] actual) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        int first = -1;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
                first = first < 0 ? i : first;
                differing++;
            }
        }
        if (differing > 0) {
            fail(what + ": " + differing + " of " + expected.length + " values differ from the Java engine's bits;"
                    + " the first, value " + first + ", is " + actual[first] + ", the Java engine's "
                    + expected[first] + " (" + ulpsApart(expected[first], actual[first]) + " ulps apart)");
        }
    }

    /** As {@link #assertSameBits(String, double[], double[])}, for floats. */
    public static void assertSameBits(String what, float[] expected, float[] actual) {
        double[] e = new double[expected.length];
        double[] a = new double[actual.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        assertSameBits(what + " (floats)", e, a);
    }

    private static long ulpsApart(double a, double b) {
        long x = Double.doubleToLongBits(a);
        long y = Double.doubleToLongBits(b);
        // Ordered as integers: negative values count down from the sign bit.
        x = x < 0 ? Long.MIN_VALUE - x : x;
        y = y < 0 ? Long.MIN_VALUE - y : y;
        return Math.abs(x - y);
    }

    private Tolerance() {
    }
}
