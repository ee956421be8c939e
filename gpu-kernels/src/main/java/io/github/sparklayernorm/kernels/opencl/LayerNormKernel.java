package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.Kernel;

/**
 * The OpenCL kernel, written in the Java subset Aparapi translates: one work-item per row.
 *
 * <p>Why one row per work-item: layer normalization reads each value a few times and has no
 * reuse across rows, so a row in one work-item keeps every pass in registers and cache with no
 * barriers. Measurements on PoCL on these machines put it at 3-10x the speed of one work-group per
 * row with a local-memory reduction (the design of most GPU libraries); the ranking may differ on a
 * real GPU, where it has yet to be measured.
 *
 * <p>The numerics are the Java engine's (first mean, correction kept apart, blocked compensated
 * variance, all in double), so one kernel serves float and double rows: float rows are read
 * widened and rounded once on the way out ({@link #useFloat} picks the arrays). Rows whose
 * largest magnitude lies outside 2^±450, or that hold NaN or infinities, would need the
 * power-of-two rescaling of the Java engine: the kernel marks them in {@link #status} and the
 * host finishes them exactly with the Java engine.
 *
 * <p>Aparapi rules this follows: fields are primitive arrays or scalars, no objects, no
 * {@code break}/{@code continue}, no lambdas; ints stand for booleans. Double constants other
 * than 0 and 1 arrive as fields set by the host: Aparapi's class parser (on bcel 6.10) rejects a
 * kernel whose constant pool holds doubles, even as field initializers.
 */
final class LayerNormKernel extends Kernel {

    private static final int BLOCK = 64;

    /** Rows whose largest magnitude lies in [safeMin, safeMax] (or is 0) need no rescaling. */
    double safeMax;
    double safeMin;
    double largestFinite;

    double[] inD = new double[1];
    double[] outD = new double[1];
    float[] inF = new float[1];
    float[] outF = new float[1];
    int[] offsets = new int[2];
    double[] scale = new double[1];
    double[] shift = new double[1];
    /**
     * Per row: 0 done, 1 left for the host (out of the safe range, or not finite), 2 done but an
     * output is not finite (from finite input: a device fault, unless scale overflows it).
     */
    int[] status = new int[1];
    /** Per row, when wantStats is 1: the mean and 1 / sqrt(var + epsilon). */
    double[] meanOut = new double[1];
    double[] invStdOut = new double[1];

    int rows;
    int useFloat;
    /** 1 for RMS normalization: no centering, the "variance" is the mean square. */
    int rms;
    int wantStats;
    int hasScale;
    int hasShift;
    double epsilon;

    @Override
    public void run() {
        int r = getGlobalId();
        if (r < rows) {
            normalizeRow(r);
        }
    }

    private double value(int i) {
        double v = 0.0;
        if (useFloat == 1) {
            v = inF[i];
        } else {
            v = inD[i];
        }
        return v;
    }

    private void store(int i, double v) {
        if (useFloat == 1) {
            outF[i] = (float) v;
        } else {
            outD[i] = v;
        }
    }

    private void normalizeRow(int r) {
        int start = offsets[r];
        int d = offsets[r + 1] - start;

        double maxAbs = 0.0;
        int finite = 1;
        for (int i = 0; i < d; i++) {
            double a = abs(value(start + i));
            if (!(a <= largestFinite)) {
                finite = 0;
            }
            maxAbs = max(maxAbs, a);
        }
        if (finite == 0 || maxAbs > safeMax || (maxAbs > 0.0 && maxAbs < safeMin)) {
            status[r] = 1;
        } else {
            status[r] = 0;
            double m0 = 0.0;
            double c = 0.0;
            if (rms == 0) {
                m0 = firstMean(start, d);
                c = sumOfDeviations(start, d, m0) / d;
            }
            double variance = sumOfSquaredDeviations(start, d, m0, c) / d;
            double invStd = 1.0 / sqrt(variance + epsilon);
            if (wantStats == 1) {
                meanOut[r] = m0 + c;
                invStdOut[r] = invStd;
            }
            int notFinite = 0;
            for (int i = 0; i < d; i++) {
                double z = ((value(start + i) - m0) - c) * invStd;
                double g = 1.0;
                double b = 0.0;
                if (hasScale == 1) {
                    g = scale[i];
                }
                if (hasShift == 1) {
                    b = shift[i];
                }
                double y = g * z + b;
                store(start + i, y);
                if (useFloat == 1) {
                    if (!(abs((float) y) <= largestFinite)) {
                        notFinite = 1;
                    }
                } else if (!(abs(y) <= largestFinite)) {
                    notFinite = 1;
                }
            }
            if (notFinite == 1) {
                status[r] = 2;
            }
        }
    }

    private double firstMean(int start, int d) {
        double a0 = 0.0;
        double a1 = 0.0;
        double a2 = 0.0;
        double a3 = 0.0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            a0 += value(start + i);
            a1 += value(start + i + 1);
            a2 += value(start + i + 2);
            a3 += value(start + i + 3);
        }
        for (; i < d; i++) {
            a0 += value(start + i);
        }
        return ((a0 + a1) + (a2 + a3)) / d;
    }

    private double sumOfDeviations(int start, int d, double m0) {
        double sum = 0.0;
        double compensation = 0.0;
        for (int blockStart = 0; blockStart < d; blockStart += BLOCK) {
            int end = min(d, blockStart + BLOCK);
            double a0 = 0.0;
            double a1 = 0.0;
            int i = blockStart;
            for (; i + 1 < end; i += 2) {
                a0 += value(start + i) - m0;
                a1 += value(start + i + 1) - m0;
            }
            for (; i < end; i++) {
                a0 += value(start + i) - m0;
            }
            double p = a0 + a1;
            double t = sum + p;
            if (abs(sum) >= abs(p)) {
                compensation += (sum - t) + p;
            } else {
                compensation += (p - t) + sum;
            }
            sum = t;
        }
        return sum + compensation;
    }

    /**
     * The same blocked, compensated loop as {@link #sumOfDeviations}, written out again: an Aparapi
     * helper cannot return two values (sum and compensation) nor keep per-work-item state in fields.
     */
    private double sumOfSquaredDeviations(int start, int d, double m0, double c) {
        double sum = 0.0;
        double compensation = 0.0;
        for (int blockStart = 0; blockStart < d; blockStart += BLOCK) {
            int end = min(d, blockStart + BLOCK);
            double a0 = 0.0;
            double a1 = 0.0;
            int i = blockStart;
            for (; i + 1 < end; i += 2) {
                double v0 = (value(start + i) - m0) - c;
                double v1 = (value(start + i + 1) - m0) - c;
                a0 += v0 * v0;
                a1 += v1 * v1;
            }
            for (; i < end; i++) {
                double v = (value(start + i) - m0) - c;
                a0 += v * v;
            }
            double p = a0 + a1;
            double t = sum + p;
            if (abs(sum) >= abs(p)) {
                compensation += (sum - t) + p;
            } else {
                compensation += (p - t) + sum;
            }
            sum = t;
        }
        return sum + compensation;
    }
}
