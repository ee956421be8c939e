package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The specification every {@link LayerNormEngine} must meet. Each engine's test class extends this
 * and supplies the engine; the same cases then run against all of them.
 *
 * <p>Two checks on every batch a case normalizes ({@link #normalize}): the case's own (accuracy
 * against {@link ExactLayerNorm}, constant rows, statistics...), and the same bits as the Java
 * engine, outputs and statistics: one answer from every backend, kernel shape and batch.
 */
public abstract class LayerNormEngineContract {

    /** The engine whose bits every engine gives: the Java engine, on the fastest passes this JVM has. */
    private static final LayerNormEngine JAVA = new JavaLayerNorm();

    private LayerNormEngine engine;

    protected LayerNormEngineContract() {
    }

    /** A fresh engine for one test. */
    protected abstract LayerNormEngine createEngine();

    protected final LayerNormEngine engine() {
        if (engine == null) {
            engine = createEngine();
        }
        return engine;
    }

    @AfterEach
    @AfterProperty
    void closeEngine() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    /**
     * The engine's {@code normalize}, and the same batch by the Java engine (on copies, so that
     * in-place batches are checked too): outputs and statistics must have the same bits.
     */
    protected final void normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec,
                                   RowStatistics stats) {
        double[] expected = out.clone();
        RowStatistics expectedStats = stats == null ? null : new RowStatistics();
        JAVA.normalize(in.clone(), expected, layout, spec, expectedStats);
        engine().normalize(in, out, layout, spec, stats);
        Tolerance.assertSameBits("the batch", expected, out);
        assertSameStatistics(layout, expectedStats, stats);
    }

    protected final void normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec) {
        normalize(in, out, layout, spec, null);
    }

    /** As {@link #normalize(double[], double[], BatchLayout, LayerNormSpec, RowStatistics)}, for floats. */
    protected final void normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec) {
        float[] expected = out.clone();
        JAVA.normalize(in.clone(), expected, layout, spec);
        engine().normalize(in, out, layout, spec);
        Tolerance.assertSameBits("the batch", expected, out);
    }

    private static void assertSameStatistics(BatchLayout layout, RowStatistics expected, RowStatistics actual) {
        if (expected == null) {
            return;
        }
        double[] e = new double[2 * layout.rowCount()];
        double[] a = new double[e.length];
        for (int r = 0; r < layout.rowCount(); r++) {
            e[2 * r] = expected.mean(r);
            e[2 * r + 1] = expected.invStdDev(r);
            a[2 * r] = actual.mean(r);
            a[2 * r + 1] = actual.invStdDev(r);
        }
        Tolerance.assertSameBits("the statistics (mean, 1/std of each row)", e, a);
    }

    // ---- rows -------------------------------------------------------------------------------

    public static double[] gaussianRow(SplittableRandom random, int d, double offset, double spread) {
        double[] row = new double[d];
        for (int i = 0; i < d; i++) {
            row[i] = offset + spread * gaussian(random);
        }
        return row;
    }

    public static double gaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private double[] normalizeOne(double[] row, LayerNormSpec spec) {
        double[] out = new double[row.length];
        normalize(row, out, BatchLayout.uniform(1, row.length), spec);
        return out;
    }

    private void assertMatchesExact(String what, double[] row, LayerNormSpec spec) {
        double[] out = normalizeOne(row, spec);
        Tolerance.assertDoubleRowClose(what, out, 0,
                ExactLayerNorm.of(row, spec.epsilon(), spec.scaleOrNull(), spec.shiftOrNull()), spec.scaleOrNull(), spec.shiftOrNull());
    }

    // ---- accuracy on nasty rows ------------------------------------------------------------

    @Test
    void rowsWithLargeOffsetMatchExactReference() {
        SplittableRandom random = new SplittableRandom(1);
        for (int d : new int[] {2, 7, 256, 1000}) {
            assertMatchesExact("1e8 + N(0,1), d=" + d, gaussianRow(random, d, 1e8, 1), LayerNormSpec.of(1e-5));
        }
        assertMatchesExact("1e15 + N(0,10)", gaussianRow(random, 500, 1e15, 10), LayerNormSpec.of(1e-5));
        assertMatchesExact("-3e12 + N(0,1e-3)", gaussianRow(random, 300, -3e12, 1e-3), LayerNormSpec.of(1e-12));
    }

    @Test
    void hundredThousandValueRowMatchesExactReference() {
        SplittableRandom random = new SplittableRandom(2);
        assertMatchesExact("d=100000 around 1e8", gaussianRow(random, 100_000, 1e8, 1), LayerNormSpec.of(1e-5));
        assertMatchesExact("d=100000 around 0", gaussianRow(random, 100_000, 0, 3), LayerNormSpec.of(1e-5));
    }

    @Test
    void valuesNearTheTopOfTheDoubleRangeStayFiniteAndExact() {
        SplittableRandom random = new SplittableRandom(3);
        double[] huge = gaussianRow(random, 100, 0, 1e307);
        huge[0] = Double.MAX_VALUE;
        huge[1] = -Double.MAX_VALUE;
        double[] out = normalizeOne(huge, LayerNormSpec.of(1e-5));
        assertTrue(Arrays.stream(out).allMatch(Double::isFinite), "all outputs finite");
        assertMatchesExact("N(0,1e307) with +-MAX_VALUE", huge, LayerNormSpec.of(1e-5));
        assertMatchesExact("1e300 + N(0,1e290)", gaussianRow(random, 64, 1e300, 1e290), LayerNormSpec.of(1e-5));
    }

    @Test
    void subnormalValuesMatchExactReference() {
        SplittableRandom random = new SplittableRandom(4);
        double[] tiny = gaussianRow(random, 50, 0, 1e-310);
        assertMatchesExact("N(0,1e-310), epsilon 1e-5", tiny, LayerNormSpec.of(1e-5));
        assertMatchesExact("N(0,1e-310), epsilon 1e-300", tiny, LayerNormSpec.of(1e-300));
        assertMatchesExact("N(0,1e-200), epsilon 1e-320", gaussianRow(random, 50, 0, 1e-200),
                LayerNormSpec.of(Double.MIN_VALUE * 1000));
    }

    @Test
    void rowsWhoseFirstValuesAreFarFromTheMeanMatchExactReference() {
        // Engines may take their moments about a point from the first values (the Java engine
        // does); here those values lie many standard deviations from the mean.
        SplittableRandom random = new SplittableRandom(13);
        for (double offset : new double[] {0, 1e8, -3e12}) {
            for (int outliers : new int[] {1, 4, 8, 16}) {
                double[] row = gaussianRow(random, 1000, offset, 1);
                for (int i = 0; i < outliers; i++) {
                    row[i] = offset + 1e3 * (i % 2 == 0 ? 1 : -0.5);
                }
                assertMatchesExact(outliers + " first values out, offset " + offset, row, LayerNormSpec.of(1e-5));
            }
        }
        double[] shortRow = {1e6, 1e6, 1e6, 0.5, -0.25, 1.0, 0.0};
        assertMatchesExact("d=7, three first values out", shortRow, LayerNormSpec.of(1e-5));
    }

    @Test
    void rowsWhoseSquaresUnderflowOrOverflowMatchExactReference() {
        SplittableRandom random = new SplittableRandom(14);
        // Squares of 1e-160 are subnormal, with a few bits left: negligible against a large
        // epsilon, the whole variance against the smallest one.
        double[] small = gaussianRow(random, 300, 0, 1e-160);
        assertMatchesExact("N(0,1e-160), epsilon 1e-5", small, LayerNormSpec.of(1e-5));
        assertMatchesExact("N(0,1e-160), smallest epsilon", small, LayerNormSpec.of(Double.MIN_VALUE));
        assertMatchesExact("1e-150 + N(0,1e-160), smallest epsilon", gaussianRow(random, 300, 1e-150, 1e-160),
                LayerNormSpec.of(Double.MIN_VALUE));
        // Squares of 1e160 overflow, though every value is far from the top of the range.
        assertMatchesExact("N(0,1e160)", gaussianRow(random, 300, 0, 1e160), LayerNormSpec.of(1e-5));
        assertMatchesExact("1e200 + N(0,1e150)", gaussianRow(random, 300, 1e200, 1e150), LayerNormSpec.of(1e-5));
    }

    @Test
    void constantRowGivesExactlyTheShift() {
        double[] shift = {0.5, -2, 0, 1e-300, 7};
        double[] scale = {3, -1, 2, 1e10, 0.25};
        for (double value : new double[] {0, -3.7, 1e8, 1e300, -Double.MAX_VALUE, 1e-310, Double.MIN_VALUE}) {
            double[] row = new double[5];
            Arrays.fill(row, value);
            assertArrayEquals(shift, normalizeOne(row, LayerNormSpec.of(1e-5, scale, shift)), 0.0,
                    "constant row of " + value);
            assertArrayEquals(new double[5], normalizeOne(row, LayerNormSpec.of(1e-5)), 0.0,
                    "constant row of " + value + " without affine");
        }
    }

    @Test
    void singleValueRowGivesTheShift() {
        assertArrayEquals(new double[] {4.25},
                normalizeOne(new double[] {123.0}, LayerNormSpec.of(1e-5, new double[] {2}, new double[] {4.25})), 0.0);
        assertArrayEquals(new double[] {0.0}, normalizeOne(new double[] {-1e300}, LayerNormSpec.of(1e-5)), 0.0);
    }

    @Test
    void scaleAndShiftAreAppliedPerFeature() {
        SplittableRandom random = new SplittableRandom(5);
        double[] scale = gaussianRow(random, 33, 1, 0.5);
        double[] shift = gaussianRow(random, 33, 0, 2);
        assertMatchesExact("affine", gaussianRow(random, 33, 10, 4), LayerNormSpec.of(1e-3, scale, shift));
        assertMatchesExact("scale only", gaussianRow(random, 33, 10, 4), LayerNormSpec.of(1e-3, scale, null));
        assertMatchesExact("shift only", gaussianRow(random, 33, 10, 4), LayerNormSpec.of(1e-3, null, shift));
    }

    @Test
    void epsilonEntersUnderTheSquareRoot() {
        // Var of {-1, 1} is 1; with epsilon 3 the denominator is sqrt(4) = 2: outputs are -0.5, 0.5.
        assertArrayEquals(new double[] {-0.5, 0.5}, normalizeOne(new double[] {-1, 1}, LayerNormSpec.of(3)), 0.0);
    }

    @Test
    void nonFiniteValueMakesTheWholeRowNaN() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            double[] out = normalizeOne(new double[] {1, bad, 3}, LayerNormSpec.of(1e-5));
            assertTrue(Arrays.stream(out).allMatch(Double::isNaN), "row with " + bad + " gives " + Arrays.toString(out));
        }
    }

    // ---- float rows ------------------------------------------------------------------------

    @Test
    void floatRowsWithLargeOffsetAreWithinOneFloatRounding() {
        SplittableRandom random = new SplittableRandom(6);
        for (int d : new int[] {1, 3, 256, 4096}) {
            float[] row = new float[d];
            for (int i = 0; i < d; i++) {
                row[i] = (float) (1e4 + gaussian(random));
            }
            assertFloatMatchesExact("float 1e4 + N(0,1), d=" + d, row, LayerNormSpec.of(1e-5));
        }
    }

    @Test
    void floatRowsWhoseFirstValueIsFarFromTheMeanAreWithinOneFloatRounding() {
        // The first value is where a float row's moments are taken about; here it is 10^4 standard
        // deviations out, alone or on a large offset.
        SplittableRandom random = new SplittableRandom(12);
        for (double offset : new double[] {0, 1e4, -3e6}) {
            float[] row = new float[300];
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) (offset + random.nextGaussian());
            }
            row[0] = (float) (offset + 1e4);
            assertFloatMatchesExact("outlier first, offset " + offset, row, LayerNormSpec.of(1e-5));
        }
    }

    @Test
    void floatConstantRowGivesExactlyTheShift() {
        float[] row = {1e4f, 1e4f, 1e4f};
        float[] out = new float[3];
        normalize(row, out, BatchLayout.uniform(1, 3),
                LayerNormSpec.of(1e-5, new double[] {1, 2, 3}, new double[] {0.25, -1, 0}));
        assertArrayEquals(new float[] {0.25f, -1f, 0f}, out, 0f);
    }

    private void assertFloatMatchesExact(String what, float[] row, LayerNormSpec spec) {
        float[] out = new float[row.length];
        normalize(row, out, BatchLayout.uniform(1, row.length), spec);
        double[] widened = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            widened[i] = row[i];
        }
        Tolerance.assertFloatRowClose(what, out, 0,
                ExactLayerNorm.of(widened, spec.epsilon(), spec.scaleOrNull(), spec.shiftOrNull()), spec.scaleOrNull(), spec.shiftOrNull());
    }

    // ---- batches ---------------------------------------------------------------------------

    @Test
    void rowOutputDoesNotDependOnItsNeighboursOrPlaceInTheBatch() {
        SplittableRandom random = new SplittableRandom(7);
        int d = 40;
        double[] target = gaussianRow(random, d, 5e7, 2);
        double[] alone = normalizeOne(target, LayerNormSpec.of(1e-5));

        int rows = 9;
        double[] batch = gaussianRow(random, rows * d, -1e9, 1e6);
        System.arraycopy(target, 0, batch, 4 * d, d);
        double[] out = new double[batch.length];
        normalize(batch, out, BatchLayout.uniform(rows, d), LayerNormSpec.of(1e-5));
        assertArrayEquals(alone, Arrays.copyOfRange(out, 4 * d, 5 * d), 0.0, "same bits alone and in a batch");
    }

    @Test
    void rowsOfDifferentLengthsShareOneBatch() {
        SplittableRandom random = new SplittableRandom(8);
        int[] lengths = {3, 1, 17, 250, 2};
        int[] offsets = new int[lengths.length + 1];
        for (int r = 0; r < lengths.length; r++) {
            offsets[r + 1] = offsets[r] + lengths[r];
        }
        double[] batch = gaussianRow(random, offsets[lengths.length], 100, 7);
        double[] out = new double[batch.length];
        normalize(batch, out, BatchLayout.ofOffsets(offsets, lengths.length), LayerNormSpec.of(1e-5));
        for (int r = 0; r < lengths.length; r++) {
            double[] row = Arrays.copyOfRange(batch, offsets[r], offsets[r + 1]);
            Tolerance.assertDoubleRowClose("row " + r, out, offsets[r], ExactLayerNorm.of(row, 1e-5), null, null);
        }
    }

    @Test
    void batchMayStartInsideALargerArrayAndLeavesTheRestAlone() {
        SplittableRandom random = new SplittableRandom(10);
        int d = 33;
        double[] values = gaussianRow(random, 6 * d, 50, 4);
        double[] out = new double[values.length];
        Arrays.fill(out, -7.0);
        normalize(values, out, BatchLayout.ofOffsets(new int[] {2 * d, 3 * d, 4 * d}, 2), LayerNormSpec.of(1e-5));
        for (int r = 0; r < 6; r++) {
            double[] row = Arrays.copyOfRange(out, r * d, (r + 1) * d);
            if (r == 2 || r == 3) {
                assertArrayEquals(normalizeOne(Arrays.copyOfRange(values, r * d, (r + 1) * d), LayerNormSpec.of(1e-5)),
                        row, 0.0, "row " + r);
            } else {
                double[] untouched = new double[d];
                Arrays.fill(untouched, -7.0);
                assertArrayEquals(untouched, row, 0.0, "row " + r + " is outside the batch");
            }
        }
    }

    @Test
    void batchCanBeNormalizedInPlace() {
        SplittableRandom random = new SplittableRandom(9);
        double[] batch = gaussianRow(random, 3 * 64, 1e6, 1);
        double[] expected = new double[batch.length];
        normalize(batch, expected, BatchLayout.uniform(3, 64), LayerNormSpec.of(1e-5));
        normalize(batch, batch, BatchLayout.uniform(3, 64), LayerNormSpec.of(1e-5));
        assertArrayEquals(expected, batch, 0.0);
    }

    @Test
    void rowLengthOtherThanScaleLengthIsRejected() {
        LayerNormSpec spec = LayerNormSpec.of(1e-5, new double[] {1, 1, 1}, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine().normalize(new double[8], new double[8], BatchLayout.uniform(2, 4), spec));
        assertTrue(e.getMessage().contains("row 0 has 4 values but scale/shift have 3"), e.getMessage());
    }

    @Test
    void arraysShorterThanTheLayoutAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> engine().normalize(new float[5], new float[8], BatchLayout.uniform(2, 4), LayerNormSpec.of(1e-5)));
    }

    // ---- RMS normalization and statistics ---------------------------------------------------

    private void assertRmsMatchesExact(String what, double[] row, double epsilon, double[] scale) {
        double[] out = new double[row.length];
        normalize(row, out, BatchLayout.uniform(1, row.length), LayerNormSpec.rms(epsilon, scale));
        Tolerance.assertDoubleRowClose(what, out, 0, ExactLayerNorm.rms(row, epsilon, scale), scale, null);
    }

    @Test
    void rmsRowsMatchExactReference() {
        SplittableRandom random = new SplittableRandom(12);
        assertRmsMatchesExact("N(0,1), d=768", gaussianRow(random, 768, 0, 1), 1e-5, null);
        assertRmsMatchesExact("1e8 + N(0,1) with scale", gaussianRow(random, 64, 1e8, 1), 1e-6,
                gaussianRow(random, 64, 1, 0.1));
        assertRmsMatchesExact("N(0,1e300)", gaussianRow(random, 32, 0, 1e300), 1e-5, null);
        assertRmsMatchesExact("N(0,1e-310)", gaussianRow(random, 32, 0, 1e-310), 1e-300, null);
        assertRmsMatchesExact("d=1", new double[] {-3}, 1e-5, null);
    }

    @Test
    void rmsOfAZeroRowIsZero() {
        double[] out = new double[4];
        normalize(new double[4], out, BatchLayout.uniform(1, 4), LayerNormSpec.rms(1e-5, new double[] {1, 2, 3, 4}));
        assertArrayEquals(new double[4], out, 0.0);
    }

    @Test
    void statisticsAreTheRowsMeanAndInverseStandardDeviation() {
        SplittableRandom random = new SplittableRandom(13);
        int rows = 5;
        int d = 100;
        double[] batch = gaussianRow(random, rows * d, 1e6, 2);
        for (boolean centered : new boolean[] {true, false}) {
            LayerNormSpec spec = centered ? LayerNormSpec.of(1e-5) : LayerNormSpec.rms(1e-5, null);
            RowStatistics stats = new RowStatistics();
            normalize(batch, new double[batch.length], BatchLayout.uniform(rows, d), spec, stats);
            for (int r = 0; r < rows; r++) {
                double[] exact = ExactLayerNorm.statistics(Arrays.copyOfRange(batch, r * d, (r + 1) * d), 1e-5, centered);
                assertEquals(exact[0], stats.mean(r), 1e-15 * Math.abs(exact[0]), "mean of row " + r);
                assertEquals(exact[1], stats.invStdDev(r), 1e-13 * exact[1], "inverse deviation of row " + r);
            }
        }
    }

    @Test
    void statisticsOfExtremeRowsAreInTheRowsOwnUnits() {
        double[] huge = {1e300, -1e300, 3e300, 5e299};
        RowStatistics stats = new RowStatistics();
        normalize(huge, new double[4], BatchLayout.uniform(1, 4), LayerNormSpec.of(1e-5), stats);
        double[] exact = ExactLayerNorm.statistics(huge, 1e-5, true);
        assertEquals(exact[0], stats.mean(0), 1e-15 * Math.abs(exact[0]));
        assertEquals(exact[1], stats.invStdDev(0), 1e-13 * exact[1]);
    }

    // ---- properties over random shapes and values ------------------------------------------

    @Property(tries = 300)
    void randomDoubleRowsMatchExactReference(@ForAll @IntRange(min = 1, max = 300) int d,
                                             @ForAll @IntRange(min = -300, max = 300) int offsetExponent,
                                             @ForAll @IntRange(min = -20, max = 6) int spreadDigits,
                                             @ForAll @IntRange(min = -12, max = 0) int epsilonDigits,
                                             @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double offset = Math.scalb(random.nextDouble() - 0.5, offsetExponent);
        double spread = Math.abs(offset) * Math.pow(10, spreadDigits) + Double.MIN_NORMAL;
        double[] row = gaussianRow(random, d, offset, spread);
        double[] scale = random.nextBoolean() ? gaussianRow(random, d, 0, 2) : null;
        double[] shift = random.nextBoolean() ? gaussianRow(random, d, 0, 2) : null;
        assertMatchesExact("row offset 2^" + offsetExponent + " spread " + spread, row,
                LayerNormSpec.of(Math.pow(10, epsilonDigits), scale, shift));
    }

    @Property(tries = 200)
    void heavyTailedRowsMatchExactReference(@ForAll @IntRange(min = 1, max = 600) int d,
                                            @ForAll @IntRange(min = -60, max = 60) int offsetExponent,
                                            @ForAll @LongRange long seed) {
        // Cauchy values: a few lie thousands of scales out, anywhere in the row, as outlier
        // features of activations do.
        SplittableRandom random = new SplittableRandom(seed);
        double offset = Math.scalb(random.nextDouble() - 0.5, offsetExponent);
        double[] row = new double[d];
        for (int i = 0; i < d; i++) {
            row[i] = offset + Math.tan(Math.PI * (random.nextDouble() - 0.5));
        }
        double[] shift = random.nextBoolean() ? gaussianRow(random, d, 0, 2) : null;
        assertMatchesExact("Cauchy row, offset 2^" + offsetExponent, row, LayerNormSpec.of(1e-5, null, shift));
        float[] floats = new float[d];
        for (int i = 0; i < d; i++) {
            floats[i] = (float) row[i];
        }
        assertFloatMatchesExact("Cauchy float row, offset 2^" + offsetExponent, floats,
                LayerNormSpec.of(1e-5, null, shift));
    }

    @Property(tries = 300)
    void randomFloatRowsAreWithinOneFloatRounding(@ForAll @IntRange(min = 1, max = 300) int d,
                                                  @ForAll @IntRange(min = -40, max = 40) int offsetExponent,
                                                  @ForAll @IntRange(min = -6, max = 3) int spreadDigits,
                                                  @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double offset = Math.scalb(random.nextDouble() - 0.5, offsetExponent);
        double spread = Math.abs(offset) * Math.pow(10, spreadDigits) + 1e-30;
        float[] row = new float[d];
        for (int i = 0; i < d; i++) {
            row[i] = (float) (offset + spread * gaussian(random));
        }
        double[] shift = random.nextBoolean() ? gaussianRow(random, d, 0, 2) : null;
        assertFloatMatchesExact("float row offset 2^" + offsetExponent, row, LayerNormSpec.of(1e-5, null, shift));
    }

    @Property(tries = 200)
    void randomRmsRowsMatchExactReference(@ForAll @IntRange(min = 1, max = 300) int d,
                                          @ForAll @IntRange(min = -300, max = 300) int offsetExponent,
                                          @ForAll @IntRange(min = -12, max = 0) int epsilonDigits,
                                          @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double offset = Math.scalb(random.nextDouble() - 0.5, offsetExponent);
        double[] row = gaussianRow(random, d, offset, Math.abs(offset) + Double.MIN_NORMAL);
        double[] scale = random.nextBoolean() ? gaussianRow(random, d, 0, 2) : null;
        assertRmsMatchesExact("rms row offset 2^" + offsetExponent, row, Math.pow(10, epsilonDigits), scale);
    }

    @Property(tries = 100)
    void batchOutputEqualsRowByRowOutput(@ForAll @IntRange(min = 1, max = 20) int rows,
                                         @ForAll @IntRange(min = 1, max = 64) int d,
                                         @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] batch = gaussianRow(random, rows * d, random.nextDouble() * 1e6, 3);
        double[] out = new double[batch.length];
        normalize(batch, out, BatchLayout.uniform(rows, d), LayerNormSpec.of(1e-5));
        for (int r = 0; r < rows; r++) {
            double[] alone = normalizeOne(Arrays.copyOfRange(batch, r * d, (r + 1) * d), LayerNormSpec.of(1e-5));
            assertArrayEquals(alone, Arrays.copyOfRange(out, r * d, (r + 1) * d), 0.0, "row " + r);
        }
    }

    @Property(tries = 100)
    void floatBatchOutputEqualsRowByRowOutput(@ForAll @IntRange(min = 1, max = 20) int rows,
                                              @ForAll @IntRange(min = 1, max = 300) int d,
                                              @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = gaussianRow(random, rows * d, random.nextDouble() * 1e3, 3);
        float[] batch = new float[values.length];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = (float) values[i];
        }
        float[] out = new float[batch.length];
        normalize(batch, out, BatchLayout.uniform(rows, d), LayerNormSpec.of(1e-5));
        for (int r = 0; r < rows; r++) {
            float[] alone = new float[d];
            normalize(Arrays.copyOfRange(batch, r * d, (r + 1) * d), alone, BatchLayout.uniform(1, d),
                    LayerNormSpec.of(1e-5));
            assertArrayEquals(alone, Arrays.copyOfRange(out, r * d, (r + 1) * d), 0.0f, "row " + r);
        }
    }

    /**
     * Batches as Spark hands them over: rows of many lengths side by side (a short row next to a
     * long one, a constant row, a row far from 0), layer or RMS, with or without scale and shift,
     * in doubles and in floats. Each value must have the Java engine's bits ({@link #normalize}).
     */
    @Property(tries = 60)
    void raggedBatchesGiveTheJavaEnginesBits(@ForAll @IntRange(min = 1, max = 12) int rows,
                                            @ForAll @IntRange(min = 1, max = 3000) int longest,
                                            @ForAll @IntRange(min = -300, max = 300) int offsetExponent,
                                            @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean sameLength = random.nextBoolean();
        int d = 1 + random.nextInt(longest);
        int[] offsets = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            offsets[r + 1] = offsets[r] + (sameLength ? d : 1 + random.nextInt(longest));
        }
        double[] in = new double[offsets[rows]];
        for (int r = 0; r < rows; r++) {
            double offset = Math.scalb(random.nextDouble() - 0.5, random.nextInt(2) == 0 ? offsetExponent : 0);
            double spread = random.nextInt(8) == 0 ? 0.0 : Math.abs(offset) * Math.pow(10, -random.nextInt(12)) + 1e-3;
            double[] row = gaussianRow(random, offsets[r + 1] - offsets[r], offset, spread);
            System.arraycopy(row, 0, in, offsets[r], row.length);
        }
        double[] scale = sameLength && random.nextBoolean() ? gaussianRow(random, d, 1, 1) : null;
        double[] shift = sameLength && random.nextBoolean() ? gaussianRow(random, d, 0, 1) : null;
        double epsilon = Math.pow(10, -1 - random.nextInt(12));
        LayerNormSpec spec = random.nextInt(3) == 0 ? LayerNormSpec.rms(epsilon, scale)
                : LayerNormSpec.of(epsilon, scale, shift);
        BatchLayout layout = BatchLayout.ofOffsets(offsets, rows);
        normalize(in, new double[in.length], layout, spec, new RowStatistics());

        float[] floats = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            floats[i] = (float) Math.scalb(in[i], -Math.max(0, offsetExponent - 100));
        }
        normalize(floats, new float[floats.length], layout, spec);
    }
}
