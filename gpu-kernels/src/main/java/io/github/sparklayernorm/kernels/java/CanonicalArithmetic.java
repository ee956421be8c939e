package io.github.sparklayernorm.kernels.java;

/**
 * The constants of the one arithmetic every engine follows (docs/arithmetic.md writes down each
 * rounding): the Java engine's passes, SIMD and scalar, and the OpenCL kernel in both shapes read
 * them from here, so that a row gives the same bits on every backend.
 *
 * <p>In short, for a row of {@code d} values taken as doubles: a point {@code k} (the mean of the
 * first {@value #SAMPLE} values, added in pairs; 0 for RMS), then in one pass the sums of
 * {@code v = x - k} and of {@code v * v} (by fused multiply-add) in blocks of {@value #BLOCK}
 * values, each block in {@value #LANES} lanes added as a fixed tree, then its tail, the blocks'
 * sums added in order with Neumaier's compensation; then {@code c = sum / d},
 * {@code 1 / sqrt(fma(-c, c, squares / d) + epsilon)} and the output. Every product that meets a
 * sum meets it in an explicit fused multiply-add, so no compiler's contraction can change a bit.
 */
public final class CanonicalArithmetic {

    /** {@link #LANES} as a power of two. */
    public static final int LANE_BITS = 4;

    /** Partial sums per block: four 256-bit registers, two 512-bit ones, or 16 work-items of a group. */
    public static final int LANES = 1 << LANE_BITS;

    /**
     * Values per block: 16 per lane, so each lane's plain sum is exact to about 16 ulps; the blocks'
     * sums are added with compensation.
     */
    public static final int BLOCK = 16 * LANES;

    /** Values averaged for the first point {@code k}: enough that one outlier among them moves it little. */
    public static final int SAMPLE = 8;

    /**
     * Where {@code c^2 <= AMPLIFICATION_BOUND * m2}, the variance {@code m2 - c^2} amplifies the
     * sums' rounding by 8 at most; farther, the moments are taken once more about {@code k + c}.
     */
    public static final double AMPLIFICATION_BOUND = 0.875;

    /** Below this mean square (and epsilon), underflowed squares could matter: such rows are scaled. */
    public static final double TINY = 0x1p-900;

    private CanonicalArithmetic() {
    }
}
