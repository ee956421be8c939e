package io.github.sparklayernorm.kernels.java;

/**
 * {@link RowPasses} in plain Java: the lanes are a small local array, filled in the order the
 * contract defines. Used where the Vector API is absent, and as the reference the SIMD passes are
 * tested against bit for bit.
 */
final class ScalarRowPasses implements RowPasses {

    static final ScalarRowPasses INSTANCE = new ScalarRowPasses();

    private ScalarRowPasses() {
    }

    @Override
    public String description() {
        return "scalar";
    }

    // floatMoments and moments are twins over float[] and double[]: Java has no
    // generic primitive arrays, and one body over an accessor would cost a call per value.
    @Override
    public void floatMoments(float[] x, int o, int n, double k, CompensatedSum sum, CompensatedSum squares) {
        double[] acc = new double[LANES];
        double[] sq = new double[LANES];
        sum.reset();
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            java.util.Arrays.fill(acc, 0.0);
            java.util.Arrays.fill(sq, 0.0);
            int i = b;
            for (; i + LANES <= end; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    double v = x[o + i + l] - k;
                    acc[l] += v;
                    sq[l] = Math.fma(v, v, sq[l]);
                }
            }
            double s = reduce(acc);
            double q = reduce(sq);
            for (; i < end; i++) {
                double v = x[o + i] - k;
                s += v;
                q = Math.fma(v, v, q);
            }
            sum.add(s);
            squares.add(q);
        }
    }

    @Override
    public void moments(double[] x, int o, int n, double k, CompensatedSum sum, CompensatedSum squares) {
        double[] acc = new double[LANES];
        double[] sq = new double[LANES];
        sum.reset();
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            java.util.Arrays.fill(acc, 0.0);
            java.util.Arrays.fill(sq, 0.0);
            int i = b;
            for (; i + LANES <= end; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    double v = x[o + i + l] - k;
                    acc[l] += v;
                    sq[l] = Math.fma(v, v, sq[l]);
                }
            }
            double s = reduce(acc);
            double q = reduce(sq);
            for (; i < end; i++) {
                double v = x[o + i] - k;
                s += v;
                q = Math.fma(v, v, q);
            }
            sum.add(s);
            squares.add(q);
        }
    }

    // RMS's squares are the moments' squares about 0, by definition: the reference passes take
    // them so, sum and all, rather than restate the order in a loop of their own (the SIMD
    // squares passes, which drop the sum for speed, are tested against these bit for bit).
    @Override
    public void floatSquares(float[] x, int o, int n, CompensatedSum squares) {
        floatMoments(x, o, n, 0.0, new CompensatedSum(), squares);
    }

    @Override
    public void squares(double[] x, int o, int n, CompensatedSum squares) {
        moments(x, o, n, 0.0, new CompensatedSum(), squares);
    }

    /** The lanes added in the order {@link RowPasses} defines (before the tail). */
    private static double reduce(double[] l) {
        double t0 = (l[0] + l[4]) + (l[8] + l[12]);
        double t1 = (l[1] + l[5]) + (l[9] + l[13]);
        double t2 = (l[2] + l[6]) + (l[10] + l[14]);
        double t3 = (l[3] + l[7]) + (l[11] + l[15]);
        return (t0 + t1) + (t2 + t3);
    }

    @Override
    public void affine(double[] x, int xo, double[] y, int yo, int n, double k, double c, double invStd,
                       double[] scale, double[] shift) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = value(x[xo + i], i, k, c, invStd, scale, shift);
        }
    }

    // Twin of affine over floats, for the same reason; both share the formula (value).
    @Override
    public void affineFloat(float[] x, int xo, float[] y, int yo, int n, double k, double c, double invStd,
                            double[] scale, double[] shift) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) value(x[xo + i], i, k, c, invStd, scale, shift);
        }
    }

    /**
     * The element-wise formula, shared with the tails of the SIMD passes and the Java engine's
     * scalar path: a product is added only inside a fused multiply-add (docs/arithmetic.md).
     */
    static double value(double x, int i, double k, double c, double invStd, double[] scale,
                        double[] shift) {
        double t = (x - k) - c;
        if (scale == null) {
            return shift == null ? t * invStd : Math.fma(t, invStd, shift[i]);
        }
        double z = t * invStd;
        return shift == null ? scale[i] * z : Math.fma(scale[i], z, shift[i]);
    }
}
