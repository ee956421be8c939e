package io.github.sparklayernorm.kernels;

/**
 * Finds values that are not finite (NaN or an infinity) in a range of a flat batch: callers that
 * must reject such rows check them before normalizing. The common case, a finite row, costs one
 * SIMD pass where the Vector API is present.
 */
public final class FiniteValues {

    private static final RowPasses PASSES = RowPasses.fastest();

    private FiniteValues() {
    }

    /** The index of the first value in {@code x[from, to)} that is not finite, or -1 if there is none. */
    public static int firstNonFinite(double[] x, int from, int to) {
        if (PASSES.allFinite(x, from, to - from)) {
            return -1;
        }
        for (int i = from; i < to; i++) {
            if (!Double.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the first value in {@code x[from, to)} that is not finite, or -1 if there is none. */
    public static int firstNonFinite(float[] x, int from, int to) {
        if (PASSES.allFinite(x, from, to - from)) {
            return -1;
        }
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }
}
