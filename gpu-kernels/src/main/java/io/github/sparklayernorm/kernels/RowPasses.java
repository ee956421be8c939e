package io.github.sparklayernorm.kernels;

/**
 * The passes over one row that the Java engine is made of, written once against a fixed lane
 * structure so that a SIMD implementation and a scalar one give bit-identical results.
 *
 * <p><b>The lane structure.</b> A sum over {@code n} values is kept in {@link #LANES} partial sums:
 * value {@code j} (counted from the start of the range) goes to lane {@code j % LANES}, and each lane
 * adds its values in increasing {@code j}. Floating-point addition is not associative, so this order
 * <em>is</em> the definition of the result: {@link VectorRowPasses} holds the lanes in SIMD registers,
 * {@link ScalarRowPasses} in plain variables, and both add the same values in the same order.
 * Reducing the lanes to one number is left to the caller ({@link CpuLayerNorm}), in one fixed order.
 * Element-wise passes have no order to keep; both implementations evaluate the same expression with
 * separate multiplies and adds (no fused multiply-add), so they round the same way.
 */
interface RowPasses {

    /**
     * Partial sums per call: 16 doubles are two 512-bit or four 256-bit registers, enough to hide
     * the adder's latency.
     */
    int LANES = 16;

    /** The length of a {@code lanes} array: the lanes, then room for scratch values of the passes. */
    int LANES_WITH_SCRATCH = LANES + 8;

    /** A short description for logs and benchmarks, such as {@code "vector-api 256-bit"}. */
    String description();

    /**
     * Puts the lane sums of {@code x[o, o + n)} into {@code lanes[0, LANES)} and returns the row's
     * largest magnitude (NaN if a value is NaN; order does not matter for a maximum). {@code lanes}
     * has {@link #LANES_WITH_SCRATCH} values.
     */
    double sumAndMaxAbs(double[] x, int o, int n, double[] lanes);

    /**
     * Lane sums of {@code v = x[i] - m0} into {@code lanes} and of {@code v * v} into
     * {@code squareLanes}, over {@code x[o, o + n)}: both moments about {@code m0} in one pass.
     */
    void sumDeviationsAndSquares(double[] x, int o, int n, double m0, double[] lanes, double[] squareLanes);

    /** Lane sums of {@code v * v} with {@code v = (x[i] - m0) - c}, over {@code x[o, o + n)}. */
    void sumSquaredDeviations(double[] x, int o, int n, double m0, double c, double[] lanes);

    /**
     * {@code y[yo + i] = g[i] * (((x[xo + i] - m0) - c) * invStd) + b[i]}; a null {@code scale}
     * skips the multiply and a null {@code shift} the add.
     */
    void affine(double[] x, int xo, double[] y, int yo, int n, double m0, double c, double invStd,
                double[] scale, double[] shift);

    // Float rows are read as floats by the two passes below (widened in registers), never copied
    // to a double row: their bytes cross the memory bus once each way, as in a copy.

    /**
     * Lane sums of {@code v = x[i] - k} into {@code lanes} and of {@code v * v} into
     * {@code squareLanes}, over the float values {@code x[o, o + n)} taken as doubles.
     */
    void floatMoments(float[] x, int o, int n, double k, double[] lanes, double[] squareLanes);

    /** As {@link #affine}, from float values and rounding each result once to float. */
    void affineFloat(float[] x, int xo, float[] y, int yo, int n, double m0, double c, double invStd,
                     double[] scale, double[] shift);

    /**
     * The fastest implementation this JVM can run: {@link VectorRowPasses} when the
     * {@code jdk.incubator.vector} module is present (Spark 4 adds it to every driver and executor)
     * and the CPU has 256-bit vectors, else {@link ScalarRowPasses}. The system property
     * {@code sparklayernorm.simd=false} forces the scalar one. Both give the same bits.
     */
    static RowPasses fastest() {
        if (!"false".equalsIgnoreCase(System.getProperty("sparklayernorm.simd", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                // By name: this class must load where the module is absent.
                Object passes = Class.forName("io.github.sparklayernorm.kernels.VectorRowPasses")
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
