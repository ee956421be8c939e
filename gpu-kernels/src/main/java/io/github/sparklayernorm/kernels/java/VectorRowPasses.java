package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.EngineSetting;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowPasses} on the Vector API, in registers of 4 doubles (256 bits: AVX2, SVE-256) or 8
 * (512 bits: AVX-512), whichever the JVM prefers on this CPU. Either way the 16 lanes of the sums
 * are those of {@link ScalarRowPasses}: four 256-bit registers hold lanes {@code [4k, 4k + 4)} in
 * register {@code k}; two 512-bit registers hold lanes {@code [0, 8)} and {@code [8, 16)}, and their
 * halves are added crosswise first ({@link #reduce}), which is the same first reduction step. So
 * every CPU gives the same bits. Float values are loaded half a register at a time and widened in
 * registers; results are narrowed the same way.
 *
 * <p>512 bits where the JVM prefers them (its choice: HotSpot keeps 256 on Skylake-generation
 * Intel servers, whose clock drops under 512-bit instructions), which is faster on CPUs that
 * keep their clock (docs/performance.md, "Design figures"). The element-wise
 * passes are written once for either width; the moments passes write both loops out, and the JIT
 * compiles only the one the constant {@link #WIDE} selects. The system property
 * {@code sparklayernorm.simd=256} keeps 256 bits (tests use it to check that layout too).
 *
 * <p>The loops are written out, one per case, with no helper taking or returning a vector: the JIT
 * keeps vectors in registers only in straight-line code it compiles as one unit; a vector that
 * crosses a call or merges across a branch is allocated on the heap, which costs more than the
 * arithmetic. The moments passes also write out their block loop, tail and compensated adds
 * rather than share a helper: each must stay larger than C2 inlines into a hot caller (325 bytes of
 * bytecode), so that it compiles as a unit of its own (see {@code JavaLayerNorm.moments}). RMS's
 * squares pass over doubles is smaller (313 bytes); fresh JVMs timed it the same with and without
 * {@code -XX:CompileCommand=dontinline} on it (docs/performance.md).
 * Loaded only by name, from {@link RowPasses#fastest()}, so that JVMs without the module
 * never link it.
 */
final class VectorRowPasses implements RowPasses {

    /** 512 bits where the JVM prefers them and the system property does not cap the width. */
    private static final VectorSpecies<Double> D =
            DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512 && !"256".equals(EngineSetting.get(PROPERTY, ""))
                    ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_256;
    /** Float lanes: half the width, so that one load widens into one register of doubles. */
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    /** Doubles per register. */
    private static final int W = D.length();
    /** Two registers of 8 lanes rather than four of 4. */
    private static final boolean WIDE = W == 8;
    /** Swaps a 512-bit register's halves: lane {@code j} gets lane {@code (j + 4) % 8}. */
    private static final VectorShuffle<Double> SWAP_HALVES = VectorShuffle.fromOp(D, j -> (j + 4) % W);
    /** The low 256 bits of a register, where the reduction reads its four lanes. */
    private static final VectorSpecies<Double> LOW_HALF = DoubleVector.SPECIES_256;

    /** Also where 256-bit vectors are emulated (the equivalence test compares them with the scalar passes anyway). */
    VectorRowPasses() {
    }

    /** An instance where 256-bit vectors are native, else null (emulated ones are slow). */
    public static RowPasses ifSupported() {
        return DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 256 ? new VectorRowPasses() : null;
    }

    @Override
    public String description() {
        return "vector-api " + D.vectorBitSize() + "-bit";
    }

    // The float twins (floatMoments, floatSquares, affineFloat) stay apart from their double versions: float
    // lanes are loaded and widened in halves, a different instruction sequence, not a different type.
    @Override
    public void floatMoments(float[] x, int o, int n, double k, CompensatedSum sum, CompensatedSum squares) {
        DoubleVector kv = DoubleVector.broadcast(D, k);
        sum.reset();
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
            DoubleVector q0 = a0, q1 = a0, q2 = a0, q3 = a0;
            int i = b;
            if (WIDE) {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = ((DoubleVector) FloatVector.fromArray(F, x, o + i).castShape(D, 0)).sub(kv);
                    DoubleVector v1 = ((DoubleVector) FloatVector.fromArray(F, x, o + i + W).castShape(D, 0)).sub(kv);
                    a0 = a0.add(v0);
                    a1 = a1.add(v1);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                }
            } else {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = ((DoubleVector) FloatVector.fromArray(F, x, o + i).castShape(D, 0)).sub(kv);
                    DoubleVector v1 = ((DoubleVector) FloatVector.fromArray(F, x, o + i + W).castShape(D, 0)).sub(kv);
                    DoubleVector v2 = ((DoubleVector) FloatVector.fromArray(F, x, o + i + 2 * W).castShape(D, 0)).sub(kv);
                    DoubleVector v3 = ((DoubleVector) FloatVector.fromArray(F, x, o + i + 3 * W).castShape(D, 0)).sub(kv);
                    a0 = a0.add(v0);
                    a1 = a1.add(v1);
                    a2 = a2.add(v2);
                    a3 = a3.add(v3);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                    q2 = v2.fma(v2, q2);
                    q3 = v3.fma(v3, q3);
                }
            }
            double s = reduce(a0, a1, a2, a3);
            double q = reduce(q0, q1, q2, q3);
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
        DoubleVector kv = DoubleVector.broadcast(D, k);
        sum.reset();
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
            DoubleVector q0 = a0, q1 = a0, q2 = a0, q3 = a0;
            int i = b;
            if (WIDE) {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = DoubleVector.fromArray(D, x, o + i).sub(kv);
                    DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W).sub(kv);
                    a0 = a0.add(v0);
                    a1 = a1.add(v1);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                }
            } else {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = DoubleVector.fromArray(D, x, o + i).sub(kv);
                    DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W).sub(kv);
                    DoubleVector v2 = DoubleVector.fromArray(D, x, o + i + 2 * W).sub(kv);
                    DoubleVector v3 = DoubleVector.fromArray(D, x, o + i + 3 * W).sub(kv);
                    a0 = a0.add(v0);
                    a1 = a1.add(v1);
                    a2 = a2.add(v2);
                    a3 = a3.add(v3);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                    q2 = v2.fma(v2, q2);
                    q3 = v3.fma(v3, q3);
                }
            }
            double s = reduce(a0, a1, a2, a3);
            double q = reduce(q0, q1, q2, q3);
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
    public void floatSquares(float[] x, int o, int n, CompensatedSum squares) {
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            DoubleVector q0 = DoubleVector.zero(D), q1 = q0, q2 = q0, q3 = q0;
            int i = b;
            if (WIDE) {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = (DoubleVector) FloatVector.fromArray(F, x, o + i).castShape(D, 0);
                    DoubleVector v1 = (DoubleVector) FloatVector.fromArray(F, x, o + i + W).castShape(D, 0);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                }
            } else {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = (DoubleVector) FloatVector.fromArray(F, x, o + i).castShape(D, 0);
                    DoubleVector v1 = (DoubleVector) FloatVector.fromArray(F, x, o + i + W).castShape(D, 0);
                    DoubleVector v2 = (DoubleVector) FloatVector.fromArray(F, x, o + i + 2 * W).castShape(D, 0);
                    DoubleVector v3 = (DoubleVector) FloatVector.fromArray(F, x, o + i + 3 * W).castShape(D, 0);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                    q2 = v2.fma(v2, q2);
                    q3 = v3.fma(v3, q3);
                }
            }
            double q = reduce(q0, q1, q2, q3);
            for (; i < end; i++) {
                double v = x[o + i];
                q = Math.fma(v, v, q);
            }
            squares.add(q);
        }
    }

    @Override
    public void squares(double[] x, int o, int n, CompensatedSum squares) {
        squares.reset();
        for (int b = 0; b < n; b += BLOCK) {
            int end = Math.min(n, b + BLOCK);
            DoubleVector q0 = DoubleVector.zero(D), q1 = q0, q2 = q0, q3 = q0;
            int i = b;
            if (WIDE) {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = DoubleVector.fromArray(D, x, o + i);
                    DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                }
            } else {
                for (; i + LANES <= end; i += LANES) {
                    DoubleVector v0 = DoubleVector.fromArray(D, x, o + i);
                    DoubleVector v1 = DoubleVector.fromArray(D, x, o + i + W);
                    DoubleVector v2 = DoubleVector.fromArray(D, x, o + i + 2 * W);
                    DoubleVector v3 = DoubleVector.fromArray(D, x, o + i + 3 * W);
                    q0 = v0.fma(v0, q0);
                    q1 = v1.fma(v1, q1);
                    q2 = v2.fma(v2, q2);
                    q3 = v3.fma(v3, q3);
                }
            }
            double q = reduce(q0, q1, q2, q3);
            for (; i < end; i++) {
                double v = x[o + i];
                q = Math.fma(v, v, q);
            }
            squares.add(q);
        }
    }

    @Override
    public void affine(double[] x, int xo, double[] y, int yo, int n, double k, double c, double invStd,
                       double[] scale, double[] shift) {
        DoubleVector kv = DoubleVector.broadcast(D, k);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector sv = DoubleVector.broadcast(D, invStd);
        int bound = n - n % W;
        if (scale != null && shift != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector z = DoubleVector.fromArray(D, x, xo + i).sub(kv).sub(cv).mul(sv);
                DoubleVector.fromArray(D, scale, i).fma(z, DoubleVector.fromArray(D, shift, i)).intoArray(y, yo + i);
            }
        } else if (scale != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector z = DoubleVector.fromArray(D, x, xo + i).sub(kv).sub(cv).mul(sv);
                DoubleVector.fromArray(D, scale, i).mul(z).intoArray(y, yo + i);
            }
        } else if (shift != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector.fromArray(D, x, xo + i).sub(kv).sub(cv).fma(sv, DoubleVector.fromArray(D, shift, i))
                        .intoArray(y, yo + i);
            }
        } else {
            for (int i = 0; i < bound; i += W) {
                DoubleVector.fromArray(D, x, xo + i).sub(kv).sub(cv).mul(sv).intoArray(y, yo + i);
            }
        }
        for (int i = bound; i < n; i++) {
            y[yo + i] = ScalarRowPasses.value(x[xo + i], i, k, c, invStd, scale, shift);
        }
    }

    @Override
    public void affineFloat(float[] x, int xo, float[] y, int yo, int n, double k, double c, double invStd,
                            double[] scale, double[] shift) {
        DoubleVector kv = DoubleVector.broadcast(D, k);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector sv = DoubleVector.broadcast(D, invStd);
        int bound = n - n % W;
        if (scale != null && shift != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector z = ((DoubleVector) FloatVector.fromArray(F, x, xo + i).castShape(D, 0))
                        .sub(kv).sub(cv).mul(sv);
                DoubleVector r = DoubleVector.fromArray(D, scale, i).fma(z, DoubleVector.fromArray(D, shift, i));
                ((FloatVector) r.castShape(F, 0)).intoArray(y, yo + i);
            }
        } else if (scale != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector z = ((DoubleVector) FloatVector.fromArray(F, x, xo + i).castShape(D, 0))
                        .sub(kv).sub(cv).mul(sv);
                ((FloatVector) DoubleVector.fromArray(D, scale, i).mul(z).castShape(F, 0)).intoArray(y, yo + i);
            }
        } else if (shift != null) {
            for (int i = 0; i < bound; i += W) {
                DoubleVector r = ((DoubleVector) FloatVector.fromArray(F, x, xo + i).castShape(D, 0))
                        .sub(kv).sub(cv).fma(sv, DoubleVector.fromArray(D, shift, i));
                ((FloatVector) r.castShape(F, 0)).intoArray(y, yo + i);
            }
        } else {
            for (int i = 0; i < bound; i += W) {
                DoubleVector z = ((DoubleVector) FloatVector.fromArray(F, x, xo + i).castShape(D, 0))
                        .sub(kv).sub(cv).mul(sv);
                ((FloatVector) z.castShape(F, 0)).intoArray(y, yo + i);
            }
        }
        for (int i = bound; i < n; i++) {
            y[yo + i] = (float) ScalarRowPasses.value(x[xo + i], i, k, c, invStd, scale, shift);
        }
    }
    /**
     * The lanes added in the order {@link RowPasses} defines: lanes {@code k} and {@code 4 + k} of
     * the first 8, the same of the last 8, the two added (three register additions of four
     * registers; with two registers, each added to its halves swapped), then the four lanes of the
     * result. (Storing registers to memory and reading lanes back stalls on store-to-load
     * forwarding; {@code reduceLanes} has no defined order.)
     */
    private static double reduce(DoubleVector a0, DoubleVector a1, DoubleVector a2, DoubleVector a3) {
        DoubleVector t;
        if (WIDE) {
            // Lanes 0-3 of the sum of the two registers and their swapped halves are the four lane
            // sums of the 256-bit layout; they are read from the register's low half.
            DoubleVector wide = a0.add(a0.rearrange(SWAP_HALVES)).add(a1.add(a1.rearrange(SWAP_HALVES)));
            t = (DoubleVector) wide.reinterpretShape(LOW_HALF, 0);
        } else {
            t = a0.add(a1).add(a2.add(a3));
        }
        return (t.lane(0) + t.lane(1)) + (t.lane(2) + t.lane(3));
    }
}
