package io.github.sparklayernorm.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowPasses} on the Vector API. The 16 lanes are two 512-bit registers of 8 doubles where
 * the CPU has them (AVX-512), else four 256-bit registers of 4 (AVX2, NEON-less ARM with SVE-256):
 * either way register {@code k} holds lanes {@code [kW, (k+1)W)}, exactly the lanes of
 * {@link ScalarRowPasses}, so every CPU gives the same bits. Float rows are loaded {@code W} at a
 * time and widened in registers; results are narrowed the same way.
 *
 * <p>Loaded only by name, from {@link RowPasses#fastest()}, so that JVMs without the module never
 * link it.
 */
final class VectorRowPasses implements RowPasses {

    private static final VectorSpecies<Double> D = Boolean.getBoolean("sparklayernorm.simd512")
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_256;
    /** Doubles per register: 8 or 4. The JIT folds every test on it. */
    private static final int W = D.length();
    /** Four registers per 16 lanes (W = 4) rather than two. */
    private static final boolean FOUR = W == 4;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(W * Float.SIZE));

    private VectorRowPasses() {
    }

    /** An instance where 256-bit vectors or wider are native, else null (emulated ones are slow). */
    public static RowPasses ifSupported() {
        return DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 256 ? new VectorRowPasses() : null;
    }

    @Override
    public String description() {
        return "vector-api " + D.vectorBitSize() + "-bit";
    }

    @Override
    public double sumAndMaxAbs(double[] x, int o, int n, double[] lanes) {
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0, max = a0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            DoubleVector v0 = DoubleVector.fromArray(D, x, o + i);
            DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W);
            a0 = a0.add(v0);
            a1 = a1.add(v1);
            max = max.max(v0.abs()).max(v1.abs());
            if (FOUR) {
                DoubleVector v2 = DoubleVector.fromArray(D, x, o + i + 2 * W);
                DoubleVector v3 = DoubleVector.fromArray(D, x, o + i + 3 * W);
                a2 = a2.add(v2);
                a3 = a3.add(v3);
                max = max.max(v2.abs()).max(v3.abs());
            }
        }
        store(a0, a1, a2, a3, lanes);
        double m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            lanes[i % LANES] += x[o + i];
            m = Math.max(m, Math.abs(x[o + i]));
        }
        return m;
    }

    @Override
    public double widenSumAndMaxAbs(float[] x, int o, int n, double[] row, double[] lanes) {
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0, max = a0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            DoubleVector v0 = widen(x, o + i);
            DoubleVector v1 = widen(x, o + i + W);
            v0.intoArray(row, i);
            v1.intoArray(row, i + W);
            a0 = a0.add(v0);
            a1 = a1.add(v1);
            max = max.max(v0.abs()).max(v1.abs());
            if (FOUR) {
                DoubleVector v2 = widen(x, o + i + 2 * W);
                DoubleVector v3 = widen(x, o + i + 3 * W);
                v2.intoArray(row, i + 2 * W);
                v3.intoArray(row, i + 3 * W);
                a2 = a2.add(v2);
                a3 = a3.add(v3);
                max = max.max(v2.abs()).max(v3.abs());
            }
        }
        store(a0, a1, a2, a3, lanes);
        double m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            double v = x[o + i];
            row[i] = v;
            lanes[i % LANES] += v;
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Override
    public void sumDeviationsAndSquares(double[] x, int o, int n, double m0, double[] lanes, double[] squareLanes) {
        DoubleVector mv = DoubleVector.broadcast(D, m0);
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
        DoubleVector q0 = a0, q1 = a0, q2 = a0, q3 = a0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            DoubleVector v0 = DoubleVector.fromArray(D, x, o + i).sub(mv);
            DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W).sub(mv);
            a0 = a0.add(v0);
            a1 = a1.add(v1);
            q0 = q0.add(v0.mul(v0));
            q1 = q1.add(v1.mul(v1));
            if (FOUR) {
                DoubleVector v2 = DoubleVector.fromArray(D, x, o + i + 2 * W).sub(mv);
                DoubleVector v3 = DoubleVector.fromArray(D, x, o + i + 3 * W).sub(mv);
                a2 = a2.add(v2);
                a3 = a3.add(v3);
                q2 = q2.add(v2.mul(v2));
                q3 = q3.add(v3.mul(v3));
            }
        }
        store(a0, a1, a2, a3, lanes);
        store(q0, q1, q2, q3, squareLanes);
        for (; i < n; i++) {
            double v = x[o + i] - m0;
            lanes[i % LANES] += v;
            squareLanes[i % LANES] += v * v;
        }
    }

    @Override
    public void sumSquaredDeviations(double[] x, int o, int n, double m0, double c, double[] lanes) {
        DoubleVector mv = DoubleVector.broadcast(D, m0);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            DoubleVector v0 = DoubleVector.fromArray(D, x, o + i).sub(mv).sub(cv);
            DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W).sub(mv).sub(cv);
            a0 = a0.add(v0.mul(v0));
            a1 = a1.add(v1.mul(v1));
            if (FOUR) {
                DoubleVector v2 = DoubleVector.fromArray(D, x, o + i + 2 * W).sub(mv).sub(cv);
                DoubleVector v3 = DoubleVector.fromArray(D, x, o + i + 3 * W).sub(mv).sub(cv);
                a2 = a2.add(v2.mul(v2));
                a3 = a3.add(v3.mul(v3));
            }
        }
        store(a0, a1, a2, a3, lanes);
        for (; i < n; i++) {
            double v = (x[o + i] - m0) - c;
            lanes[i % LANES] += v * v;
        }
    }

    @Override
    public void affine(double[] x, int xo, double[] y, int yo, int n, double m0, double c, double invStd,
                       double[] scale, double[] shift) {
        DoubleVector mv = DoubleVector.broadcast(D, m0);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector sv = DoubleVector.broadcast(D, invStd);
        int i = 0;
        for (; i + W <= n; i += W) {
            normalized(x, xo + i, mv, cv, sv, scale, shift, i).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = ScalarRowPasses.value(x[xo + i], i, m0, c, invStd, scale, shift);
        }
    }

    @Override
    public void affineToFloat(double[] x, int xo, float[] y, int yo, int n, double m0, double c, double invStd,
                              double[] scale, double[] shift) {
        DoubleVector mv = DoubleVector.broadcast(D, m0);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector sv = DoubleVector.broadcast(D, invStd);
        int i = 0;
        for (; i + W <= n; i += W) {
            DoubleVector v = normalized(x, xo + i, mv, cv, sv, scale, shift, i);
            ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = (float) ScalarRowPasses.value(x[xo + i], i, m0, c, invStd, scale, shift);
        }
    }

    /** {@link ScalarRowPasses#value} on one register; the null tests are loop-invariant and hoisted. */
    private static DoubleVector normalized(double[] x, int at, DoubleVector mv, DoubleVector cv, DoubleVector sv,
                                           double[] scale, double[] shift, int i) {
        DoubleVector z = DoubleVector.fromArray(D, x, at).sub(mv).sub(cv).mul(sv);
        if (scale != null) {
            z = DoubleVector.fromArray(D, scale, i).mul(z);
        }
        if (shift != null) {
            z = z.add(DoubleVector.fromArray(D, shift, i));
        }
        return z;
    }

    private static DoubleVector widen(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(F, x, at).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void store(DoubleVector a0, DoubleVector a1, DoubleVector a2, DoubleVector a3, double[] lanes) {
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, W);
        if (FOUR) {
            a2.intoArray(lanes, 2 * W);
            a3.intoArray(lanes, 3 * W);
        }
    }
}
