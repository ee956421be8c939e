package io.github.sparklayernorm.kernels;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * An independent reference: layer normalization in exact integer arithmetic, with only the square
 * root and the final division rounded (to 60 digits), so its only real error is the final rounding
 * to double.
 *
 * <p>Every double of a row is an integer multiple of {@code 2^e0}, with {@code e0} the row's
 * smallest exponent, so the row becomes integers {@code m_i} with {@code x_i = m_i * 2^e0}. With
 * {@code S = sum(m)} and {@code D_i = d * m_i - S} (exact),
 * {@code z_i = D_i / sqrt(sum(D^2) / d + d^2 * eps / 2^(2 e0))}.
 */
public final class ExactLayerNorm {

    private static final MathContext MC = new MathContext(60);

    /** One row's exact result: the standardized values z and the final output, both rounded once. */
    public static final class Result {
        public final double[] z;
        public final double[] y;

        Result(double[] z, double[] y) {
            this.z = z;
            this.y = y;
        }
    }

    public static Result of(double[] x, double epsilon, double[] scale, double[] shift) {
        int d = x.length;
        int e0 = Integer.MAX_VALUE;
        for (double v : x) {
            if (v != 0) {
                e0 = Math.min(e0, binaryExponent(v));
            }
        }
        if (e0 == Integer.MAX_VALUE) {
            e0 = 0;
        }
        BigInteger n = BigInteger.valueOf(d);
        BigInteger[] m = new BigInteger[d];
        BigInteger sum = BigInteger.ZERO;
        for (int i = 0; i < d; i++) {
            m[i] = integerMantissa(x[i], e0);
            sum = sum.add(m[i]);
        }
        BigInteger squares = BigInteger.ZERO;
        BigInteger[] deviations = new BigInteger[d];
        for (int i = 0; i < d; i++) {
            deviations[i] = n.multiply(m[i]).subtract(sum);
            squares = squares.add(deviations[i].multiply(deviations[i]));
        }
        BigDecimal scaledEpsilon = new BigDecimal(epsilon).multiply(new BigDecimal(n.multiply(n)));
        scaledEpsilon = e0 <= 0
                ? scaledEpsilon.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(-2 * e0)))
                : scaledEpsilon.divide(new BigDecimal(BigInteger.ONE.shiftLeft(2 * e0)));
        BigDecimal denominator = new BigDecimal(squares).divide(new BigDecimal(n), MC)
                .add(scaledEpsilon, MC)
                .sqrt(MC);
        double[] z = new double[d];
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            BigDecimal exactZ = new BigDecimal(deviations[i]).divide(denominator, MC);
            BigDecimal g = scale == null ? BigDecimal.ONE : new BigDecimal(scale[i]);
            BigDecimal b = shift == null ? BigDecimal.ZERO : new BigDecimal(shift[i]);
            z[i] = exactZ.doubleValue();
            y[i] = exactZ.multiply(g, MC).add(b, MC).doubleValue();
        }
        return new Result(z, y);
    }

    public static Result of(double[] x, double epsilon) {
        return of(x, epsilon, null, null);
    }

    /** RMS normalization: z_i = m_i / sqrt(sum(m^2) / d + eps / 2^(2 e0)), y = scale * z. */
    public static Result rms(double[] x, double epsilon, double[] scale) {
        int d = x.length;
        int e0 = smallestExponent(x);
        BigInteger[] m = new BigInteger[d];
        BigInteger squares = BigInteger.ZERO;
        for (int i = 0; i < d; i++) {
            m[i] = integerMantissa(x[i], e0);
            squares = squares.add(m[i].multiply(m[i]));
        }
        BigDecimal denominator = new BigDecimal(squares).divide(BigDecimal.valueOf(d), MC)
                .add(scaledByPowerOfTwo(new BigDecimal(epsilon), -2 * e0), MC).sqrt(MC);
        double[] z = new double[d];
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            BigDecimal exactZ = new BigDecimal(m[i]).divide(denominator, MC);
            z[i] = exactZ.doubleValue();
            y[i] = (scale == null ? exactZ : exactZ.multiply(new BigDecimal(scale[i]), MC)).doubleValue();
        }
        return new Result(z, y);
    }

    /** The row's exact mean and 1 / sqrt(var + eps) (centered) or 1 / sqrt(mean(x^2) + eps) (RMS). */
    public static double[] statistics(double[] x, double epsilon, boolean centered) {
        int d = x.length;
        BigDecimal n = BigDecimal.valueOf(d);
        BigDecimal sum = BigDecimal.ZERO;
        for (double v : x) {
            sum = sum.add(new BigDecimal(v));
        }
        BigDecimal mean = centered ? sum.divide(n, MC) : BigDecimal.ZERO;
        BigDecimal squares = BigDecimal.ZERO;
        for (double v : x) {
            BigDecimal dev = new BigDecimal(v).subtract(mean);
            squares = squares.add(dev.multiply(dev));
        }
        BigDecimal inv = BigDecimal.ONE.divide(squares.divide(n, MC).add(new BigDecimal(epsilon), MC).sqrt(MC), MC);
        return new double[] {mean.doubleValue(), inv.doubleValue()};
    }

    private static int smallestExponent(double[] x) {
        int e0 = Integer.MAX_VALUE;
        for (double v : x) {
            if (v != 0) {
                e0 = Math.min(e0, binaryExponent(v));
            }
        }
        return e0 == Integer.MAX_VALUE ? 0 : e0;
    }

    private static BigDecimal scaledByPowerOfTwo(BigDecimal value, int exponent) {
        return exponent >= 0
                ? value.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(exponent)))
                : value.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-exponent)));
    }

    /** The exponent of the last bit of v's significand: v = significand * 2^that. */
    private static int binaryExponent(double v) {
        int e = Math.getExponent(v);
        return e >= Double.MIN_EXPONENT ? e - 52 : Double.MIN_EXPONENT - 52;
    }

    /** v / 2^e0 as an exact integer (e0 at most v's binaryExponent). */
    private static BigInteger integerMantissa(double v, int e0) {
        if (v == 0) {
            return BigInteger.ZERO;
        }
        long bits = Double.doubleToRawLongBits(v);
        long significand = bits & 0x000F_FFFF_FFFF_FFFFL;
        if (Math.getExponent(v) >= Double.MIN_EXPONENT) {
            significand |= 1L << 52;
        }
        BigInteger magnitude = BigInteger.valueOf(significand).shiftLeft(binaryExponent(v) - e0);
        return v < 0 ? magnitude.negate() : magnitude;
    }

    private ExactLayerNorm() {
    }
}
