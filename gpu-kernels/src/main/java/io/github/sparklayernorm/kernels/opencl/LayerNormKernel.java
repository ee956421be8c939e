package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.Kernel;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;

/**
 * The OpenCL kernel, written in the Java subset Aparapi translates, in two shapes ({@link #mode}):
 *
 * <ul>
 *   <li><b>row</b> ({@value #ROW}): one work-item per row. A row in one work-item keeps every pass
 *       in registers and cache with no barriers: what a CPU device wants (docs/performance.md
 *       compares the shapes on PoCL).</li>
 *   <li><b>group</b> ({@value #GROUP}): one work-group per row, as GPU libraries do. Work-items
 *       stride the row, so neighbours read neighbouring values (coalesced loads), and each sum is
 *       reduced in local memory as a tree, between barriers. A batch of 4096 rows is then 4096
 *       work-groups of up to 256 work-items: enough threads in flight for a GPU.</li>
 * </ul>
 *
 * <p>Layer or RMS normalization, as the spec says ({@link #rms}). The numerics are those of the Java
 * engine's scalar path (a first mean, a correction kept apart, compensated sums over blocks of
 * {@code JavaLayerNorm.SCALAR_BLOCK} values, all in double): within the contract's bound of the Java
 * engine, though not in its order of additions, so its last bits may differ. One kernel serves float
 * and double rows: float rows are read
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

    /** The Java engine's scalar blocks, so that the kernel's sums have the same error bound. */
    private static final int BLOCK = JavaLayerNorm.SCALAR_BLOCK;
    static final int ROW = 0;
    static final int GROUP = 1;
    /**
     * The largest work-group of the group shape: some NVIDIA drivers gave inconsistent results
     * with Aparapi's barriers in groups of 512 or more (Aparapi issue 156).
     */
    static final int MAX_GROUP = 256;

    /**
     * Values each work-item of the group shape keeps in private memory between the passes, so that
     * a row of up to {@code 16 x work-group size} values (4096 with 256 work-items) is read from
     * global memory once; longer rows are read again in each pass.
     */
    static final int HELD = 16;

    /** {@link #ROW} or {@link #GROUP}, the same for every work-item of a run. */
    int mode;

    /** The group shape's per-work-item partial sums, reduced as a tree: sum, largest magnitude, a flag. */
    @Local
    double[] partialSum = new double[MAX_GROUP];
    @Local
    double[] partialMax = new double[MAX_GROUP];
    @Local
    double[] partialFlag = new double[MAX_GROUP];
    @PrivateMemorySpace(HELD)
    double[] held = new double[HELD];

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
        if (mode == GROUP) {
            normalizeRowInGroup();
        } else {
            int r = getGlobalId();
            if (r < rows) {
                normalizeRow(r);
            }
        }
    }

    /**
     * Row {@code getGroupId()}, by the work-group: the row kernel's steps and numerics (a first
     * mean, the correction kept apart, the variance of the corrected deviations, all in double),
     * each sum taken by work-items over strided values and reduced pairwise in local memory. Every
     * work-item reaches every barrier: a group past the last row works on an empty row.
     */
    private void normalizeRowInGroup() {
        int r = getGroupId();
        int lid = getLocalId();
        int size = getLocalSize();
        int start = 0;
        int d = 0;
        if (r < rows) {
            start = offsets[r];
            d = offsets[r + 1] - start;
        }
        double sum = 0.0;
        double maxAbs = 0.0;
        double notFinite = 0.0;
        int fits = 0;
        if (d <= size * HELD) {
            fits = 1;
        }
        int k = 0;
        for (int i = lid; i < d; i += size) {
            double v = value(start + i);
            if (fits == 1) {
                held[k] = v;
            }
            k++;
            double a = abs(v);
            if (!(a <= largestFinite)) {
                notFinite = 1.0;
            }
            maxAbs = max(maxAbs, a);
            sum += v;
        }
        partialSum[lid] = sum;
        partialMax[lid] = maxAbs;
        partialFlag[lid] = notFinite;
        localBarrier();
        for (int step = size / 2; step > 0; step = step / 2) {
            if (lid < step) {
                partialSum[lid] = partialSum[lid] + partialSum[lid + step];
                partialMax[lid] = max(partialMax[lid], partialMax[lid + step]);
                partialFlag[lid] = max(partialFlag[lid], partialFlag[lid + step]);
            }
            localBarrier();
        }
        double total = partialSum[0];
        double rowMax = partialMax[0];
        double rowNotFinite = partialFlag[0];
        localBarrier();
        int safe = 1;
        if (rowNotFinite > 0.0 || rowMax > safeMax || (rowMax > 0.0 && rowMax < safeMin)) {
            safe = 0;
        }
        double m0 = 0.0;
        double c = 0.0;
        if (rms == 0 && d > 0) {
            m0 = total / d;
            double deviations = 0.0;
            k = 0;
            for (int i = lid; i < d; i += size) {
                deviations += rowValue(fits, k, start + i) - m0;
                k++;
            }
            c = groupSum(lid, size, deviations) / d;
        }
        double squares = 0.0;
        k = 0;
        for (int i = lid; i < d; i += size) {
            double v = (rowValue(fits, k, start + i) - m0) - c;
            squares += v * v;
            k++;
        }
        double variance = 0.0;
        if (d > 0) {
            variance = groupSum(lid, size, squares) / d;
        }
        double invStd = 1.0 / sqrt(variance + epsilon);
        double outNotFinite = 0.0;
        if (safe == 1) {
            k = 0;
            for (int i = lid; i < d; i += size) {
                if (storeOutput(start, i, rowValue(fits, k, start + i), m0, c, invStd) == 1) {
                    outNotFinite = 1.0;
                }
                k++;
            }
        }
        partialFlag[lid] = outNotFinite;
        localBarrier();
        for (int step = size / 2; step > 0; step = step / 2) {
            if (lid < step) {
                partialFlag[lid] = max(partialFlag[lid], partialFlag[lid + step]);
            }
            localBarrier();
        }
        if (lid == 0 && r < rows) {
            if (safe == 0) {
                status[r] = 1;
            } else if (partialFlag[0] > 0.0) {
                status[r] = 2;
            } else {
                status[r] = 0;
            }
            if (wantStats == 1) {
                meanOut[r] = m0 + c;
                invStdOut[r] = invStd;
            }
        }
    }

    /**
     * The {@code k}-th value this work-item reads of its row, at {@code index} in the batch: from
     * private memory when the row fits there ({@code fits} 1), else from global memory again.
     */
    private double rowValue(int fits, int k, int index) {
        double v = 0.0;
        if (fits == 1) {
            v = held[k];
        } else {
            v = value(index);
        }
        return v;
    }

    /**
     * The sum over the work-group of each work-item's {@code value}, pairwise in local memory; every
     * work-item gets it. Ends with a barrier, so that the local array can be reused at once.
     */
    private double groupSum(int lid, int size, double value) {
        partialSum[lid] = value;
        localBarrier();
        for (int step = size / 2; step > 0; step = step / 2) {
            if (lid < step) {
                partialSum[lid] = partialSum[lid] + partialSum[lid + step];
            }
            localBarrier();
        }
        double result = partialSum[0];
        localBarrier();
        return result;
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
                if (storeOutput(start, i, value(start + i), m0, c, invStd) == 1) {
                    notFinite = 1;
                }
            }
            if (notFinite == 1) {
                status[r] = 2;
            }
        }
    }

    /**
     * Value {@code i} of the row at {@code start}, {@code x}, normalized and stored (rounded once for
     * float rows); returns 1 when the stored value is not finite, else 0.
     */
    private int storeOutput(int start, int i, double x, double m0, double c, double invStd) {
        double z = ((x - m0) - c) * invStd;
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
        int notFinite = 0;
        if (useFloat == 1) {
            if (!(abs((float) y) <= largestFinite)) {
                notFinite = 1;
            }
        } else if (!(abs(y) <= largestFinite)) {
            notFinite = 1;
        }
        return notFinite;
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
