package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.EngineSetting;
/**
 * The passes over one row that the Java engine is made of, written once against a fixed summation
 * order so that a SIMD implementation and a scalar one give bit-identical results.
 *
 * <p><b>The order.</b> A row is summed in blocks of {@link #BLOCK} values, whose sums are added
 * in order with Neumaier's compensation ({@link CompensatedSum}). A block's sum over its {@code n}
 * values is kept in {@link #LANES} partial sums: value
 * {@code j} (counted from the start of the range) of the first {@code 16 * floor(n / 16)} goes to
 * lane {@code j % 16}, and each lane adds its values in increasing {@code j}. The lanes are then
 * added as {@code t_k = (l_k + l_{4+k}) + (l_{8+k} + l_{12+k})} for {@code k = 0..3}, giving
 * {@code (t_0 + t_1) + (t_2 + t_3)}, to which the remaining values (fewer than 16) are added one by
 * one.
 * Floating-point addition is not associative, so this order <em>is</em> the definition of the
 * result: {@link VectorRowPasses} holds the lanes in four SIMD registers of 4 or two of 8 (the
 * first reduction step is then three register additions, or each register added to its halves
 * swapped and the two added), {@link ScalarRowPasses} in plain variables, and both add the same
 * values in the same order. Element-wise passes have no order to keep; both
 * implementations evaluate the same expression, so they round the same way.
 *
 * <p><b>Fused multiply-adds.</b> Every product that is added to something is added by a fused
 * multiply-add: squares to their sums, {@code z * scale + shift} when both are given, and
 * {@code t * invStd + shift} when only the shift is. One rounding instead of two, one instruction
 * where the passes are bound by the CPU's floating-point adders (docs/performance.md, "Design
 * figures"), and the same bits from the OpenCL kernel, whose compiler could otherwise contract a
 * product and a sum by itself (docs/arithmetic.md). Both implementations use them, the
 * scalar one through {@link Math#fma}, which the JIT compiles to the instruction on every CPU that
 * has it (x86 since 2013, every 64-bit ARM); on a CPU without it, {@code Math.fma} is computed
 * exactly in software: the same bits, much slower.
 */
interface RowPasses {

    /**
     * The system property that chooses the passes: {@code false} the scalar ones, {@code 256} the
     * Vector API at 256 bits even where the JVM prefers 512; by default the fastest.
     */
    String PROPERTY = "sparklayernorm.simd";

    /**
     * Partial sums per pass: four 256-bit registers or two 512-bit ones, enough to hide the
     * adder's latency (the OpenCL kernel's group shape gives each lane a work-item).
     */
    int LANES = CanonicalArithmetic.LANES;

    /** Values per block of a row's sums ({@link CanonicalArithmetic#BLOCK}). */
    int BLOCK = CanonicalArithmetic.BLOCK;

    /** A short description for logs and benchmarks, such as {@code "vector-api 256-bit"}. */
    String description();

    /**
     * Both moments about {@code k} in one pass over the row {@code x[o, o + n)}: the sum of
     * {@code v = x[i] - k} into {@code sum}, of {@code v * v} into {@code squares} (both reset
     * first), block by block.
     */
    void moments(double[] x, int o, int n, double k, CompensatedSum sum, CompensatedSum squares);

    /**
     * RMS normalization's moment: the sum of {@code x[i] * x[i]} over {@code x[o, o + n)} into
     * {@code squares} (reset first), in the order and with the bits of {@link #moments}'s squares
     * about {@code k = 0}. The plain sum is not taken: squares that are finite bound every value
     * by {@code sqrt(Double.MAX_VALUE)}, so the sum is finite too, and RMS needs nothing else of it.
     */
    void squares(double[] x, int o, int n, CompensatedSum squares);

    /**
     * {@code y[yo + i] = fma(g[i], t * invStd, b[i])} with {@code t = (x[xo + i] - k) - c}; without a
     * scale, {@code fma(t, invStd, b[i])}; without a shift, {@code g[i] * (t * invStd)}; without
     * either, {@code t * invStd} (see {@link ScalarRowPasses#value}).
     */
    void affine(double[] x, int xo, double[] y, int yo, int n, double k, double c, double invStd,
                double[] scale, double[] shift);

    // Float rows are read as floats by the two passes below (widened in registers), never copied
    // to a double row: their bytes cross the memory bus once each way, as in a copy.

    /**
     * As {@link #moments}, over the float values
     * {@code x[o, o + n)} taken as doubles.
     */
    void floatMoments(float[] x, int o, int n, double k, CompensatedSum sum, CompensatedSum squares);

    /** As {@link #squares}, over the float values {@code x[o, o + n)} taken as doubles. */
    void floatSquares(float[] x, int o, int n, CompensatedSum squares);

    /** As {@link #affine}, from float values and rounding each result once to float. */
    void affineFloat(float[] x, int xo, float[] y, int yo, int n, double k, double c, double invStd,
                     double[] scale, double[] shift);

    /**
     * The fastest implementation this JVM can run: {@link VectorRowPasses} when the
     * {@code jdk.incubator.vector} module is present (Spark 4 adds it to every driver and executor)
     * and the CPU has 256-bit vectors, else {@link ScalarRowPasses}. The system property
     * {@code sparklayernorm.simd=false} forces the scalar one ({@link #PROPERTY}). All give the
     * same bits.
     */
    static RowPasses fastest() {
        if (!"false".equalsIgnoreCase(EngineSetting.get(PROPERTY, "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                // By name: this class must load where the module is absent.
                Object passes = Class.forName("io.github.sparklayernorm.kernels.java.VectorRowPasses")
                        .getMethod("ifSupported").invoke(null);
                if (passes != null) {
                    return (RowPasses) passes;
                }
            } catch (ReflectiveOperationException | LinkageError e) {
                // Fall through to the scalar passes, which give the same results.
            }
        }
        return ScalarRowPasses.INSTANCE;
    }
}
