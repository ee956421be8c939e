package io.github.sparklayernorm.kernels;

/**
 * {@link RowPasses} in plain Java: the lanes are a small local array that the JIT keeps in
 * registers once the fixed inner loop is unrolled. Used where the Vector API is absent, and as the
 * reference the SIMD passes are tested against bit for bit.
 */
final class ScalarRowPasses implements RowPasses {

    static final ScalarRowPasses INSTANCE = new ScalarRowPasses();

    private ScalarRowPasses() {
    }

    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public double sumAndMaxAbs(double[] x, int o, int n, double[] lanes) {
        double[] acc = new double[LANES];
        double max = 0.0;
        boolean nan = false;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                double v = x[o + i + l];
                acc[l] += v;
                double a = Math.abs(v);
                nan |= a != a;
                max = a > max ? a : max;
            }
        }
        for (; i < n; i++) {
            double v = x[o + i];
            acc[i % LANES] += v;
            double a = Math.abs(v);
            nan |= a != a;
            max = a > max ? a : max;
        }
        System.arraycopy(acc, 0, lanes, 0, LANES);
        return nan ? Double.NaN : max;
    }

    @Override
    public void floatMoments(float[] x, int o, int n, double k, double[] lanes, double[] squareLanes) {
        double[] acc = new double[LANES];
        double[] sq = new double[LANES];
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                double v = x[o + i + l] - k;
                acc[l] += v;
                sq[l] += v * v;
            }
        }
        for (; i < n; i++) {
            double v = x[o + i] - k;
            acc[i % LANES] += v;
            sq[i % LANES] += v * v;
        }
        System.arraycopy(acc, 0, lanes, 0, LANES);
        System.arraycopy(sq, 0, squareLanes, 0, LANES);
    }

    @Override
    public void sumDeviationsAndSquares(double[] x, int o, int n, double m0, double[] lanes, double[] squareLanes) {
        double[] acc = new double[LANES];
        double[] sq = new double[LANES];
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                double v = x[o + i + l] - m0;
                acc[l] += v;
                sq[l] += v * v;
            }
        }
        for (; i < n; i++) {
            double v = x[o + i] - m0;
            acc[i % LANES] += v;
            sq[i % LANES] += v * v;
        }
        System.arraycopy(acc, 0, lanes, 0, LANES);
        System.arraycopy(sq, 0, squareLanes, 0, LANES);
    }

    @Override
    public void sumSquaredDeviations(double[] x, int o, int n, double m0, double c, double[] lanes) {
        double[] acc = new double[LANES];
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                double v = (x[o + i + l] - m0) - c;
                acc[l] += v * v;
            }
        }
        for (; i < n; i++) {
            double v = (x[o + i] - m0) - c;
            acc[i % LANES] += v * v;
        }
        System.arraycopy(acc, 0, lanes, 0, LANES);
    }

    @Override
    public void affine(double[] x, int xo, double[] y, int yo, int n, double m0, double c, double invStd,
                       double[] scale, double[] shift) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = value(x[xo + i], i, m0, c, invStd, scale, shift);
        }
    }

    @Override
    public void affineFloat(float[] x, int xo, float[] y, int yo, int n, double m0, double c, double invStd,
                            double[] scale, double[] shift) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) value(x[xo + i], i, m0, c, invStd, scale, shift);
        }
    }

    /** The element-wise formula, shared with the tails of the SIMD passes. */
    static double value(double x, int i, double m0, double c, double invStd, double[] scale,
                        double[] shift) {
        double z = ((x - m0) - c) * invStd;
        double y = scale == null ? z : scale[i] * z;
        return shift == null ? y : y + shift[i];
    }
}
