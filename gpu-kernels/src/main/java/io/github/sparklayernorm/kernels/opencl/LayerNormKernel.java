package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.Kernel;
import io.github.sparklayernorm.kernels.java.CanonicalArithmetic;

/**
 * The OpenCL kernel, written in the Java subset Aparapi translates, in two shapes ({@link #mode}):
 *
 * <ul>
 *   <li><b>row</b> ({@value #ROW}): one work-item per row. A row in one work-item keeps every pass
 *       in registers and cache with no barriers: what a CPU device wants (docs/performance.md
 *       compares the shapes on PoCL).</li>
 *   <li><b>group</b> ({@value #GROUP}): one work-group per row, as GPU libraries do: 16 work-items
 *       per block of 256 values, one for each lane of the canonical order, and up to 16 blocks at
 *       once (256 work-items). Neighbouring work-items read neighbouring values (coalesced loads);
 *       lane sums meet in local memory, between barriers.</li>
 * </ul>
 *
 * <p><b>The same bits as the Java engine.</b> Both shapes follow the canonical arithmetic
 * ({@link CanonicalArithmetic}, docs/arithmetic.md) step by step: the first point {@code k}, the
 * moments in 16 lanes per block added as the fixed tree, the tail, Neumaier's compensation over
 * the blocks in order, the same decisions (a second point when the first was far from the mean)
 * and the same output formula. Every product that meets a sum meets it in an explicit
 * {@code fma}, and no expression holds a product next to an addition, so OpenCL's licence to
 * contract {@code a * b + c} changes nothing. Double {@code +}, {@code *}, {@code /} and
 * {@code sqrt} are correctly rounded in OpenCL, as in Java; float rows are read widened and
 * rounded once to float on the way out, as in Java ({@link #useFloat} picks the arrays). Rows
 * the Java engine would send to its scalar path (NaN or an infinity, values whose squares overflow
 * or underflow, a point that missed the mean twice) are marked in {@link #status} and the host
 * finishes them with the Java engine itself.
 *
 * <p>Aparapi rules this follows: fields are primitive arrays or scalars, no objects, no
 * {@code break}/{@code continue}, no lambdas, no arrays as parameters; ints stand for booleans.
 * Double constants other than 0 and 1 arrive as fields set by the host: Aparapi's class parser (on
 * bcel 6.10) rejects a kernel whose constant pool holds doubles, even as field initializers.
 */
final class LayerNormKernel extends Kernel {

    private static final int LANES = CanonicalArithmetic.LANES;
    private static final int BLOCK = CanonicalArithmetic.BLOCK;
    private static final int SAMPLE = CanonicalArithmetic.SAMPLE;
    /**
     * Lanes as bits: {@code i & WHOLE_LANES} is {@code i} rounded down to whole lanes, {@code i >> LANE_BITS}
     * the block slot of a work-item. Masks rather than division: LLVM rewrites {@code x / 16 * 16} and
     * {@code x % 16} with a {@code freeze} instruction, which the OpenCL simulator cannot run.
     */
    private static final int LANE_BITS = CanonicalArithmetic.LANE_BITS;
    private static final int WHOLE_LANES = -LANES;
    static final int ROW = 0;
    static final int GROUP = 1;
    /**
     * The largest work-group of the group shape: some NVIDIA drivers gave inconsistent results
     * with Aparapi's barriers in groups of 512 or more (Aparapi issue 156).
     */
    static final int MAX_GROUP = 256;
    /** The smallest: one work-item per lane. */
    static final int MIN_GROUP = LANES;
    /** Values of a block each work-item of the group shape reads (its lane's), and keeps. */
    static final int HELD = BLOCK / LANES;

    /** {@link #ROW} or {@link #GROUP}, the same for every work-item of a run. */
    int mode;

    /** The group shape's lane sums: of {@code x - k} at [lid], of its squares at [MAX_GROUP + lid]. */
    @Local
    double[] laneSums = new double[2 * MAX_GROUP];
    /** The group shape's block sums, one per block of a round: of {@code x - k}, then squares. */
    @Local
    double[] blockSums = new double[2 * (MAX_GROUP / LANES)];
    /** The group shape's row moments, from work-item 0 to all. */
    @Local
    double[] rowSums = new double[2];
    @Local
    double[] partialFlag = new double[MAX_GROUP];
    /**
     * The group shape: the values of the row's first round a work-item reads, kept between its
     * passes, so that a row of up to {@code 256 x 16} values is read from global memory once.
     */
    @PrivateMemorySpace(HELD)
    double[] held = new double[HELD];
    /** The row shape: 16 lane sums of {@code x - k}, 16 of squares, then the row's two moments. */
    @PrivateMemorySpace(2 * LANES + 2)
    double[] lanes = new double[2 * LANES + 2];

    /** {@link CanonicalArithmetic#AMPLIFICATION_BOUND}, {@link CanonicalArithmetic#TINY}. */
    double amplificationBound;
    double tiny;
    double largestFinite;

    double[] inD = new double[1];
    double[] outD = new double[1];
    float[] inF = new float[1];
    float[] outF = new float[1];
    int[] offsets = new int[2];
    double[] scale = new double[1];
    double[] shift = new double[1];
    /**
     * Per row: 0 done, 1 left for the host (the Java engine's scalar path, or an empty row), 2 done
     * but an output is not finite (from finite input: a device fault, unless scale overflows it).
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

    // ---- row shape ------------------------------------------------------------------------

    private void normalizeRow(int r) {
        int start = offsets[r];
        int d = offsets[r + 1] - start;
        status[r] = 1;
        if (d > 0) {
            double k = 0.0;
            if (rms == 0) {
                k = sampleMean(start, d);
            }
            int done = 0;
            for (int attempt = 0; attempt < 2; attempt++) {
                if (done == 0) {
                    rowMoments(start, d, k);
                    double total = lanes[2 * LANES];
                    double squares = lanes[2 * LANES + 1];
                    double c = centre(total, d);
                    if (fastPathDeclines(total, squares, d) == 1) {
                        done = 1;
                    } else if (nearTheMean(c, squares / d) == 1) {
                        double invStd = inverseStdDev(c, squares / d);
                        int notFinite = 0;
                        for (int i = 0; i < d; i++) {
                            notFinite = max(notFinite, storeOutput(start, i, value(start + i), k, c, invStd));
                        }
                        status[r] = 2 * notFinite;
                        statistics(r, k + c, invStd);
                        done = 1;
                    } else {
                        k = k + c;
                    }
                }
            }
        }
    }

    /**
     * The moments of the row about {@code k} into {@code lanes[32]} (the sum of {@code x - k}) and
     * {@code lanes[33]} (of the squares), in the canonical order.
     */
    private void rowMoments(int start, int d, double k) {
        double sum = 0.0;
        double sumError = 0.0;
        double squares = 0.0;
        double squaresError = 0.0;
        for (int from = 0; from < d; from += BLOCK) {
            int end = min(d, from + BLOCK);
            int full = from + ((end - from) & WHOLE_LANES);
            for (int l = 0; l < 2 * LANES; l++) {
                lanes[l] = 0.0;
            }
            for (int i = from; i < full; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    double v = value(start + i + l) - k;
                    lanes[l] = lanes[l] + v;
                    lanes[LANES + l] = fma(v, v, lanes[LANES + l]);
                }
            }
            double s = laneTree(0);
            double q = laneTree(LANES);
            for (int i = full; i < end; i++) {
                double v = value(start + i) - k;
                s = s + v;
                q = fma(v, v, q);
            }
            double t = sum + s;
            sumError = sumError + roundingOfSum(sum, s, t);
            sum = t;
            double u = squares + q;
            squaresError = squaresError + roundingOfSum(squares, q, u);
            squares = u;
        }
        lanes[2 * LANES] = sum + sumError;
        lanes[2 * LANES + 1] = squares + squaresError;
    }

    /** The 16 lanes from {@code lanes[base]} added as the canonical tree. */
    private double laneTree(int base) {
        double t0 = (lanes[base] + lanes[base + 4]) + (lanes[base + 8] + lanes[base + 12]);
        double t1 = (lanes[base + 1] + lanes[base + 5]) + (lanes[base + 9] + lanes[base + 13]);
        double t2 = (lanes[base + 2] + lanes[base + 6]) + (lanes[base + 10] + lanes[base + 14]);
        double t3 = (lanes[base + 3] + lanes[base + 7]) + (lanes[base + 11] + lanes[base + 15]);
        return (t0 + t1) + (t2 + t3);
    }

    // ---- group shape ----------------------------------------------------------------------

    /**
     * Row {@code getGroupId()}, by the work-group. Every decision depends on values all its
     * work-items share (the row's length, the moments in local memory), so every work-item
     * reaches every barrier; a group past the last row works on an empty row.
     */
    private void normalizeRowInGroup() {
        int r = getGroupId();
        int lid = getLocalId();
        int size = getLocalSize();
        int lane = lid & (LANES - 1);
        int slot = lid >> LANE_BITS;
        int start = 0;
        int d = 0;
        if (r < rows) {
            start = offsets[r];
            d = offsets[r + 1] - start;
        }
        int fits = 0;
        if (d <= size * HELD) {
            fits = 1;
            for (int m = 0; m < HELD; m++) {
                int j = slot * BLOCK + m * LANES + lane;
                if (j < d) {
                    held[m] = value(start + j);
                }
            }
        }
        int outcome = 1;
        double k = 0.0;
        double c = 0.0;
        double invStd = 0.0;
        if (d > 0) {
            outcome = 0;
            if (rms == 0) {
                k = sampleMean(start, d);
            }
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            if (outcome == 0) {
                groupMoments(lid, lane, slot, size >> LANE_BITS, start, d, fits, k);
                double total = rowSums[0];
                double squares = rowSums[1];
                localBarrier();
                c = centre(total, d);
                if (fastPathDeclines(total, squares, d) == 1) {
                    outcome = 1;
                } else if (nearTheMean(c, squares / d) == 1) {
                    invStd = inverseStdDev(c, squares / d);
                    outcome = 2;
                } else {
                    k = k + c;
                }
            }
        }
        double notFinite = 0.0;
        if (outcome == 2) {
            for (int from = 0; from < d; from += size * HELD) {
                for (int m = 0; m < HELD; m++) {
                    int j = from + slot * BLOCK + m * LANES + lane;
                    if (j < d) {
                        notFinite = max(notFinite, (double) storeOutput(start, j, rowValue(fits, m, start + j), k, c,
                                invStd));
                    }
                }
            }
        }
        partialFlag[lid] = notFinite;
        localBarrier();
        for (int step = size / 2; step > 0; step = step / 2) {
            if (lid < step) {
                partialFlag[lid] = max(partialFlag[lid], partialFlag[lid + step]);
            }
            localBarrier();
        }
        if (lid == 0 && r < rows) {
            if (outcome == 2) {
                status[r] = 0;
                if (partialFlag[0] > 0.0) {
                    status[r] = 2;
                }
                statistics(r, k + c, invStd);
            } else {
                status[r] = 1;
            }
        }
    }

    /**
     * The moments of the row about {@code k} into {@code rowSums} (the sum of {@code x - k}, of the
     * squares) for every work-item, in the canonical order: rounds of {@code slots} blocks; in each,
     * work-item {@code slot * 16 + lane} sums its lane of block {@code slot}, work-item {@code b}
     * adds block {@code b}'s lanes as the tree and then its tail, and work-item 0 adds the blocks'
     * sums in order with compensation.
     */
    private void groupMoments(int lid, int lane, int slot, int slots, int start, int d, int fits, double k) {
        double sum = 0.0;
        double sumError = 0.0;
        double squares = 0.0;
        double squaresError = 0.0;
        for (int from = 0; from < d; from += slots * BLOCK) {
            int blockStart = from + slot * BLOCK;
            int full = blockStart + ((min(d, blockStart + BLOCK) - blockStart) & WHOLE_LANES);
            double a = 0.0;
            double q = 0.0;
            for (int m = 0; m < HELD; m++) {
                int j = blockStart + m * LANES + lane;
                if (j < full) {
                    double v = rowValue(fits, m, start + j) - k;
                    a = a + v;
                    q = fma(v, v, q);
                }
            }
            laneSums[lid] = a;
            laneSums[MAX_GROUP + lid] = q;
            localBarrier();
            if (lid < slots) {
                int ownStart = from + lid * BLOCK;
                int ownEnd = min(d, ownStart + BLOCK);
                int ownFull = ownStart + ((ownEnd - ownStart) & WHOLE_LANES);
                double s = groupLaneTree(lid * LANES);
                double sq = groupLaneTree(MAX_GROUP + lid * LANES);
                for (int i = ownFull; i < ownEnd; i++) {
                    double v = value(start + i) - k;
                    s = s + v;
                    sq = fma(v, v, sq);
                }
                blockSums[lid] = s;
                blockSums[MAX_GROUP / LANES + lid] = sq;
            }
            localBarrier();
            if (lid == 0) {
                for (int b = 0; b < slots; b++) {
                    if (from + b * BLOCK < d) {
                        double s = blockSums[b];
                        double t = sum + s;
                        sumError = sumError + roundingOfSum(sum, s, t);
                        sum = t;
                        double sq = blockSums[MAX_GROUP / LANES + b];
                        double u = squares + sq;
                        squaresError = squaresError + roundingOfSum(squares, sq, u);
                        squares = u;
                    }
                }
            }
        }
        if (lid == 0) {
            rowSums[0] = sum + sumError;
            rowSums[1] = squares + squaresError;
        }
        localBarrier();
    }

    /** The 16 lane sums from {@code laneSums[base]} added as the canonical tree. */
    private double groupLaneTree(int base) {
        double t0 = (laneSums[base] + laneSums[base + 4]) + (laneSums[base + 8] + laneSums[base + 12]);
        double t1 = (laneSums[base + 1] + laneSums[base + 5]) + (laneSums[base + 9] + laneSums[base + 13]);
        double t2 = (laneSums[base + 2] + laneSums[base + 6]) + (laneSums[base + 10] + laneSums[base + 14]);
        double t3 = (laneSums[base + 3] + laneSums[base + 7]) + (laneSums[base + 11] + laneSums[base + 15]);
        return (t0 + t1) + (t2 + t3);
    }

    /**
     * The {@code m}-th value this work-item reads of its row's block, at {@code index} in the
     * batch: from private memory when the row fits there ({@code fits} 1), else from global memory.
     */
    private double rowValue(int fits, int m, int index) {
        double v = 0.0;
        if (fits == 1) {
            v = held[m];
        } else {
            v = value(index);
        }
        return v;
    }

    // ---- both shapes: the canonical steps -------------------------------------------------

    /** The mean of the row's first values (up to 8), added in pairs: the first point {@code k}. */
    private double sampleMean(int start, int d) {
        double mean = 0.0;
        if (d < SAMPLE) {
            double sum = 0.0;
            for (int i = 0; i < d; i++) {
                sum = sum + value(start + i);
            }
            mean = sum / d;
        } else {
            double a = value(start) + value(start + 1);
            double b = value(start + 2) + value(start + 3);
            double c = value(start + 4) + value(start + 5);
            double e = value(start + 6) + value(start + 7);
            mean = ((a + b) + (c + e)) / SAMPLE;
        }
        return mean;
    }

    /** Neumaier's correction for {@code t = a + b}: what the rounding of that sum lost. */
    private double roundingOfSum(double a, double b, double t) {
        double lost = 0.0;
        if (abs(a) >= abs(b)) {
            lost = (a - t) + b;
        } else {
            lost = (b - t) + a;
        }
        return lost;
    }

    /** {@code c}, the mean's offset from {@code k}: 0 for RMS normalization. */
    private double centre(double total, int d) {
        double c = 0.0;
        if (rms == 0) {
            c = total / d;
        }
        return c;
    }

    /**
     * 1 where the Java engine's fast path declines the row (sums not finite: NaN, an infinity or
     * squares that overflow; or a mean square and epsilon so small that underflowed squares could
     * matter): the host's Java engine then does it.
     */
    private int fastPathDeclines(double total, double squares, int d) {
        int declines = 0;
        if (!(abs(total) <= largestFinite) || !(abs(squares) <= largestFinite)) {
            declines = 1;
        } else if (!(squares / d >= tiny || epsilon >= tiny)) {
            declines = 1;
        }
        return declines;
    }

    /** 1 when {@code k} was near enough the mean that {@code m2 - c^2} loses little. */
    private int nearTheMean(double c, double meanSquare) {
        int near = 0;
        if (c * c <= amplificationBound * meanSquare) {
            near = 1;
        }
        return near;
    }

    /** {@code 1 / sqrt(fma(-c, c, m2) + epsilon)}: the variance in one rounding. */
    private double inverseStdDev(double c, double meanSquare) {
        double variance = fma(-c, c, meanSquare);
        double q = variance + epsilon;
        return 1.0 / sqrt(q);
    }

    private void statistics(int r, double mean, double invStd) {
        if (wantStats == 1) {
            meanOut[r] = mean;
            invStdOut[r] = invStd;
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

    /**
     * Value {@code i} of the row at {@code start}, {@code x}, normalized by the canonical output
     * formula and stored (rounded once for float rows); returns 1 when the stored value is not
     * finite, else 0. Each product is a statement of its own or inside an {@code fma}.
     */
    private int storeOutput(int start, int i, double x, double k, double c, double invStd) {
        double t = (x - k) - c;
        double y = 0.0;
        if (hasScale == 1) {
            double z = t * invStd;
            if (hasShift == 1) {
                y = fma(scale[i], z, shift[i]);
            } else {
                y = scale[i] * z;
            }
        } else if (hasShift == 1) {
            y = fma(t, invStd, shift[i]);
        } else {
            y = t * invStd;
        }
        int notFinite = 0;
        if (useFloat == 1) {
            float f = (float) y;
            outF[start + i] = f;
            if (!(abs(f) <= largestFinite)) {
                notFinite = 1;
            }
        } else {
            outD[start + i] = y;
            if (!(abs(y) <= largestFinite)) {
                notFinite = 1;
            }
        }
        return notFinite;
    }
}
