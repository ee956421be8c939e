package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import java.util.Arrays;

/**
 * The exact plain-Java engine: the reference every other engine is held to.
 *
 * <p>Per row, in double precision:
 * <ol>
 *   <li>Rows whose squares would overflow (values near the top of the double range) or underflow
 *       (subnormals, against a small epsilon) are scaled by a power of two {@code 2^k}, which is
 *       exact, so that they are normalized in a range where neither happens (as LAPACK's norms do),
 *       and epsilon by {@code 2^2k} to match. The fast path notices such rows from its sums and
 *       leaves them to the scalar path, which scales.</li>
 *   <li>A point {@code k} near the mean (the fast path: the mean of the first 8 values; the scalar
 *       path: a first mean), then the correction {@code c = mean(x - k)}. Deviations are
 *       {@code (x - k) - c}, with the correction kept apart: rounding {@code k + c} to one double
 *       would put the mean's own rounding error (about 1e-8 on rows of 1e8 + noise) into every
 *       deviation.</li>
 *   <li>The biased variance of those deviations, summed in short blocks whose partial sums are
 *       added with compensation, so the relative error stays at a few ulps even for 100,000
 *       values.</li>
 * </ol>
 * A constant row has every deviation exactly 0, so its output is exactly the shift.
 *
 * <p><b>Speed.</b> Ordinary rows take the fast path ({@code fastPath}): two passes of
 * {@link RowPasses}, both moments about a point near the mean, then the output, over a row that
 * stays in the L1 cache after the first, on SIMD registers where the Vector API is present. Memory
 * sees each value read once and written once, as in a copy; float rows are widened in registers,
 * never copied to a double row. Whether a row is ordinary is read from the sums (finite, and not
 * so small that squares underflowed), so no pass looks for the largest magnitude. The other rows
 * (NaN or an infinity, values beyond about 2^±500) take the scalar path below. Which
 * implementation of the passes runs does not change a bit of the result (see {@link RowPasses}).
 */
public final class JavaLayerNorm implements LayerNormEngine {

    /** On the scalar path, rows whose largest magnitude lies within 2^±SAFE_EXPONENT need no scaling. */
    private static final int SAFE_EXPONENT = 450;
    /**
     * Values per block of the scalar path's blocked sums: short enough that plain summation inside
     * is exact to ~16 ulps. (The fast path blocks by lanes, {@link CanonicalArithmetic#BLOCK}; the
     * scalar path is the Java engine's alone, so its order is its own.)
     */
    private static final int SCALAR_BLOCK = 64;

    private static final double AMPLIFICATION_BOUND = CanonicalArithmetic.AMPLIFICATION_BOUND;
    private static final double TINY = CanonicalArithmetic.TINY;
    private static final int SAMPLE = CanonicalArithmetic.SAMPLE;

    /** The backend's name, in params, metrics and logs. */
    public static final String NAME = "java";
    /**
     * Where its rows are computed, in logs: the task's own thread, which is not an OpenCL device
     * (PoCL's OpenCL device is a CPU too, so "cpu" would not tell them apart).
     */
    public static final String DEVICE = "the task's JVM thread";

    /** Every batch's report: this engine does all its rows. */
    private static final BatchReport REPORT = BatchReport.of(NAME);

    private final RowPasses passes;

    /** The engine on the fastest passes this JVM supports. */
    public JavaLayerNorm() {
        this(RowPasses.fastest());
    }

    JavaLayerNorm(RowPasses passes) {
        this.passes = passes;
    }

    /** The engine on the scalar passes, whatever the JVM supports: the same results, slower. */
    public static JavaLayerNorm scalar() {
        return new JavaLayerNorm(ScalarRowPasses.INSTANCE);
    }

    /** How rows are computed, such as {@code "vector-api 256-bit"} or {@code "scalar"}. */
    public String instructionSet() {
        return passes.description();
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * 32,768 values (256 KB of doubles): a batch that stays in a core's L2 cache from the copy into
     * the batch through normalizing to the copy out (docs/performance.md, "Design figures").
     */
    @Override
    public int preferredBatchValues() {
        return 1 << 15;
    }

    @Override
    public BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        LayerNormEngine.checkBatch(in.length, out.length, layout, spec);
        if (stats != null) {
            stats.ensure(layout.rowCount());
        }
        Scratch scratch = new Scratch();
        for (int r = 0; r < layout.rowCount(); r++) {
            int start = layout.start(r);
            int d = layout.length(r);
            if (d > 0 && !fastPath(in, start, out, start, d, spec, scratch, stats, r)) {
                normalizeRow(in, start, out, start, d, spec, scratch.sum, stats, r);
            }
        }
        return REPORT;
    }

    @Override
    public BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        LayerNormEngine.checkBatch(in.length, out.length, layout, spec);
        if (stats != null) {
            stats.ensure(layout.rowCount());
        }
        Scratch scratch = new Scratch();
        for (int r = 0; r < layout.rowCount(); r++) {
            int start = layout.start(r);
            int d = layout.length(r);
            if (d > 0 && !fastPath(in, start, out, start, d, spec, scratch, stats, r)) {
                floatScalarPath(in, start, out, start, d, spec, scratch, stats, r);
            }
        }
        return REPORT;
    }

    /**
     * A handle that normalizes single rows in place for one thread, without a batch's set-up per
     * call (a layout, the checks of every row, working memory): what Spark's per-cell expressions
     * call for each row, where that set-up would cost more than a short row's arithmetic.
     */
    public RowByRow rowByRow() {
        return new RowByRow();
    }

    /** See {@link #rowByRow()}. Not thread-safe: one per thread. */
    public final class RowByRow {
        private final Scratch scratch = new Scratch();

        private RowByRow() {
        }

        /**
         * Normalizes {@code in[from, from + length)} into {@code out[to, to + length)}, exactly as a
         * batch of that one row; {@code out} may be {@code in}, at the same offset.
         */
        public void normalize(double[] in, int from, double[] out, int to, int length, LayerNormSpec spec) {
            checkRows(in == out, in.length, from, out.length, to, length, spec);
            if (length > 0 && !fastPath(in, from, out, to, length, spec, scratch, null, 0)) {
                normalizeRow(in, from, out, to, length, spec, scratch.sum, null, 0);
            }
        }

        /** As {@link #normalize(double[], int, double[], int, int, LayerNormSpec)}, for float values. */
        public void normalize(float[] in, int from, float[] out, int to, int length, LayerNormSpec spec) {
            checkRows(in == out, in.length, from, out.length, to, length, spec);
            if (length > 0 && !fastPath(in, from, out, to, length, spec, scratch, null, 0)) {
                floatScalarPath(in, from, out, to, length, spec, scratch, null, 0);
            }
        }

        private void checkRows(boolean inPlace, int inLength, int from, int outLength, int to, int length,
                               LayerNormSpec spec) {
            if (inPlace && from != to) {
                // The passes read ahead of where they write: a shifted row would be overwritten.
                throw new IllegalArgumentException("in place, a row must stay where it is: from " + from + " to " + to);
            }
            checkRow(inLength, from, length, spec);
            checkRow(outLength, to, length, spec);
        }

        private void checkRow(int arrayLength, int offset, int length, LayerNormSpec spec) {
            if (offset < 0 || length < 0 || offset > arrayLength - length) {
                throw new IllegalArgumentException("a row of " + length + " values at " + offset
                        + " does not fit an array of " + arrayLength);
            }
            String problem = spec.rowLengthProblem(length);
            if (problem != null) {
                throw new IllegalArgumentException("the row " + problem);
            }
        }
    }

    /**
     * A float row the fast path declined: one holding NaN or an infinity (floats never need
     * scaling), or the rare row whose centre missed the bound twice.
     */
    private static void floatScalarPath(float[] in, int start, float[] out, int to, int d, LayerNormSpec spec,
                                        Scratch scratch, RowStatistics stats, int r) {
        double[] row = scratch.row(d);
        for (int i = 0; i < d; i++) {
            row[i] = in[start + i];
        }
        normalizeRow(row, 0, row, 0, d, spec, scratch.sum, stats, r);
        for (int i = 0; i < d; i++) {
            out[to + i] = (float) row[i];
        }
    }

    /**
     * One row in two passes, the second into {@code y} at {@code yo}: both moments about a
     * point {@code k} near the mean, then the output. {@code x} and {@code y} are both
     * {@code double[]} or both {@code float[]}: one algorithm for both, the passes differing only
     * in how they load and store (a type test per block, not per value).
     *
     * <p>With {@code c = mean - k} and {@code m2 = E[(x - k)^2]}, the variance is {@code m2 - c^2}.
     * That difference cancels at most a factor {@code 1 / (1 - AMPLIFICATION_BOUND)} = 8 of the
     * sums' relative rounding (a few ulps from the blocked, compensated sums) when
     * {@code c^2 <= (7/8) m2}, i.e. when {@code k} lies within 2.6 standard deviations of the mean.
     * {@code k} is the mean of the first values ({@link #sampleMean}); when it lies farther (an
     * outlier among them) the moments are taken once more about {@code k + c}, now within rounding
     * of the mean. Deviations are {@code (x - k) - c}, the correction kept apart, so rows with a
     * large offset lose nothing to the rounding of their mean (x - k is exact there, by
     * Sterbenz's lemma).
     *
     * <p>Range, from the sums alone (no pass for the largest magnitude): a NaN or an infinity, or a
     * square that overflows, makes the sums non-finite. Squares that underflow lose at most
     * {@code 2^-1074} each, which is negligible once the mean square or epsilon is at least
     * {@link #TINY}. Rows failing either test return false, having written nothing, and take the
     * scalar path with its power-of-two scaling.
     */
    private boolean fastPath(Object x, int xo, Object y, int yo, int d, LayerNormSpec spec, Scratch scratch,
                             RowStatistics stats, int row) {
        boolean centered = spec.centered();
        double k = centered ? sampleMean(x, xo, d) : 0.0;
        for (int attempt = 0; attempt < 2; attempt++) {
            moments(x, xo, d, k, centered, scratch);
            double total = scratch.sum.value();
            double squares = scratch.squares.value();
            if (!Double.isFinite(total) || !Double.isFinite(squares)) {
                return false;
            }
            double c = centered ? total / d : 0.0;
            double meanSquare = squares / d;
            if (!(meanSquare >= TINY || spec.epsilon() >= TINY)) {
                return false;
            }
            if (c * c <= AMPLIFICATION_BOUND * meanSquare) {
                // One rounding, by a fused multiply-add: the kernels compute it the same way.
                double invStd = inverseStdDev(Math.fma(-c, c, meanSquare), k + c, spec, stats, row);
                if (x instanceof double[]) {
                    passes.affine((double[]) x, xo, (double[]) y, yo, d, k, c, invStd, spec.scaleOrNull(),
                            spec.shiftOrNull());
                } else {
                    passes.affineFloat((float[]) x, xo, (float[]) y, yo, d, k, c, invStd, spec.scaleOrNull(),
                            spec.shiftOrNull());
                }
                return true;
            }
            k += c;
        }
        return false;
    }

    /** The mean of the row's first values (up to {@value #SAMPLE}), added in pairs. */
    private static double sampleMean(Object x, int xo, int d) {
        if (d < SAMPLE) {
            double sum = 0.0;
            for (int i = 0; i < d; i++) {
                sum += valueAt(x, xo + i);
            }
            return sum / d;
        }
        double a = valueAt(x, xo) + valueAt(x, xo + 1);
        double b = valueAt(x, xo + 2) + valueAt(x, xo + 3);
        double c = valueAt(x, xo + 4) + valueAt(x, xo + 5);
        double e = valueAt(x, xo + 6) + valueAt(x, xo + 7);
        return ((a + b) + (c + e)) / SAMPLE;
    }

    private static double valueAt(Object x, int i) {
        return x instanceof double[] ? ((double[]) x)[i] : ((float[]) x)[i];
    }

    /**
     * Both moments about {@code k} into {@code scratch.sum} (the sum of {@code x - k}) and
     * {@code scratch.squares} (of its squares), block by block with compensation.
     *
     * <p>The pass takes the whole row and is larger than the JIT inlines into a hot caller (C2's
     * 325 bytes of bytecode): compiled on its own, its vectors stay in registers, and its speed does
     * not depend on how the JIT inlined it (docs/performance.md, "A newer JDK").
     */
    private void moments(Object x, int xo, int d, double k, boolean centered, Scratch scratch) {
        if (!centered) {
            // RMS (k = 0): the squares alone, the same bits as both moments' squares, in one
            // register operation per value where both take three.
            scratch.sum.reset();
            if (x instanceof double[]) {
                passes.squares((double[]) x, xo, d, scratch.squares);
            } else {
                passes.floatSquares((float[]) x, xo, d, scratch.squares);
            }
        } else if (x instanceof double[]) {
            passes.moments((double[]) x, xo, d, k, scratch.sum, scratch.squares);
        } else {
            passes.floatMoments((float[]) x, xo, d, k, scratch.sum, scratch.squares);
        }
    }

    /** Per-call working memory: engines are shared between threads, so nothing lives in fields. */
    private static final class Scratch {
        final CompensatedSum sum = new CompensatedSum();
        final CompensatedSum squares = new CompensatedSum();
        private double[] row = new double[0];

        /** A double row for the scalar path of float rows, made on first use. */
        double[] row(int length) {
            if (row.length < length) {
                row = new double[length];
            }
            return row;
        }
    }

    /** {@code 1 / sqrt(variance + epsilon)}, recorded with the mean when statistics are asked for. */
    private static double inverseStdDev(double variance, double mean, LayerNormSpec spec, RowStatistics stats, int row) {
        double q = variance + spec.epsilon();
        // epsilon > 0 and the variance >= 0 here, so q > 0; the test keeps the scalar path's form.
        double invStd = q > 0 ? 1.0 / Math.sqrt(q) : 0.0;
        if (stats != null) {
            stats.set(row, mean, q > 0 ? invStd : 1.0 / Math.sqrt(spec.epsilon()));
        }
        return invStd;
    }

    /**
     * The scalar path: normalizes {@code x[xo, xo + d)} into {@code y[yo, yo + d)}; {@code y} may be
     * {@code x}. Taken by rows that need scaling or hold NaN or an infinity.
     * For RMS normalization the mean and its correction are 0, so the "variance" is the mean square.
     */
    static void normalizeRow(double[] x, int xo, double[] y, int yo, int d, LayerNormSpec spec, CompensatedSum sum,
                             RowStatistics stats, int row) {
        if (d == 0) {
            return;
        }
        double maxAbs = maxAbs(x, xo, d);
        if (!(maxAbs <= Double.MAX_VALUE)) {
            Arrays.fill(y, yo, yo + d, Double.NaN);
            if (stats != null) {
                stats.set(row, Double.NaN, Double.NaN);
            }
            return;
        }
        int k = scaleExponent(maxAbs, spec.epsilon());
        double s = Math.scalb(1.0, k);
        double scaledEpsilon = Math.scalb(spec.epsilon(), 2 * k);

        double m0 = spec.centered() ? plainSum(x, xo, d, s) / d : 0.0;
        double c = spec.centered() ? sumOfDeviations(x, xo, d, s, m0, sum) / d : 0.0;
        double variance = sumOfSquaredDeviations(x, xo, d, s, m0, c, sum) / d;
        double q = variance + scaledEpsilon;
        // q == 0 only when epsilon underflowed after scaling a constant row down: every deviation
        // is then 0 and must stay 0, not 0 * infinity.
        double invStd = q > 0 ? 1.0 / Math.sqrt(q) : 0.0;
        if (stats != null) {
            // Back from the scaled domain: the mean by 2^-k, the inverse deviation by 2^k.
            // (q == 0: a constant row whose scaled epsilon underflowed; its variance is 0.)
            stats.set(row, Math.scalb(m0 + c, -k), q > 0 ? Math.scalb(invStd, k) : 1.0 / Math.sqrt(spec.epsilon()));
        }

        double[] scale = spec.scaleOrNull();
        double[] shift = spec.shiftOrNull();
        for (int i = 0; i < d; i++) {
            y[yo + i] = ScalarRowPasses.value(x[xo + i] * s, i, m0, c, invStd, scale, shift);
        }
    }

    /** The largest magnitude; NaN if any value is NaN, infinity if any is infinite. */
    private static double maxAbs(double[] x, int xo, int d) {
        double max = 0.0;
        boolean nan = false;
        for (int i = 0; i < d; i++) {
            double a = Math.abs(x[xo + i]);
            nan |= a != a;
            max = a > max ? a : max;
        }
        return nan ? Double.NaN : max;
    }

    /**
     * The exponent {@code k} of the power-of-two scale for a row whose largest magnitude is
     * {@code maxAbs}: 0 for ordinary rows, else the one that brings the largest value near 1,
     * bounded so that {@code epsilon * 2^2k} stays finite (beyond that bound the variance is
     * negligible against epsilon anyway).
     */
    static int scaleExponent(double maxAbs, double epsilon) {
        if (maxAbs == 0.0) {
            return 0;
        }
        int e = exponentOf(maxAbs);
        if (e >= -SAFE_EXPONENT && e <= SAFE_EXPONENT) {
            return 0;
        }
        int maxK = Math.min(1000, (1000 - exponentOf(epsilon)) / 2);
        return Math.max(Double.MIN_EXPONENT, Math.min(-e, maxK));
    }

    /** {@link Math#getExponent}, also right for subnormals. */
    private static int exponentOf(double v) {
        int e = Math.getExponent(v);
        return e >= Double.MIN_EXPONENT ? e : Math.getExponent(v * 0x1p60) - 60;
    }

    private static double plainSum(double[] x, int xo, int d, double s) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            a0 += x[xo + i] * s;
            a1 += x[xo + i + 1] * s;
            a2 += x[xo + i + 2] * s;
            a3 += x[xo + i + 3] * s;
        }
        for (; i < d; i++) {
            a0 += x[xo + i] * s;
        }
        return (a0 + a1) + (a2 + a3);
    }

    private static double sumOfDeviations(double[] x, int xo, int d, double s, double m0, CompensatedSum sum) {
        sum.reset();
        for (int blockStart = 0; blockStart < d; blockStart += SCALAR_BLOCK) {
            int end = Math.min(d, blockStart + SCALAR_BLOCK);
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = blockStart;
            for (; i + 3 < end; i += 4) {
                a0 += x[xo + i] * s - m0;
                a1 += x[xo + i + 1] * s - m0;
                a2 += x[xo + i + 2] * s - m0;
                a3 += x[xo + i + 3] * s - m0;
            }
            for (; i < end; i++) {
                a0 += x[xo + i] * s - m0;
            }
            sum.add((a0 + a1) + (a2 + a3));
        }
        return sum.value();
    }

    private static double sumOfSquaredDeviations(double[] x, int xo, int d, double s, double m0, double c,
                                                 CompensatedSum sum) {
        sum.reset();
        for (int blockStart = 0; blockStart < d; blockStart += SCALAR_BLOCK) {
            int end = Math.min(d, blockStart + SCALAR_BLOCK);
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = blockStart;
            for (; i + 3 < end; i += 4) {
                double v0 = (x[xo + i] * s - m0) - c;
                double v1 = (x[xo + i + 1] * s - m0) - c;
                double v2 = (x[xo + i + 2] * s - m0) - c;
                double v3 = (x[xo + i + 3] * s - m0) - c;
                a0 += v0 * v0;
                a1 += v1 * v1;
                a2 += v2 * v2;
                a3 += v3 * v3;
            }
            for (; i < end; i++) {
                double v = (x[xo + i] * s - m0) - c;
                a0 += v * v;
            }
            sum.add((a0 + a1) + (a2 + a3));
        }
        return sum.value();
    }
}
