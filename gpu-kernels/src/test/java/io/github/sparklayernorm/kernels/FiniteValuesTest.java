package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class FiniteValuesTest {

    @Property(tries = 300)
    void findsTheFirstNonFiniteValueAnywhereInTheRange(@ForAll @IntRange(min = 1, max = 70) int n,
                                                       @ForAll @IntRange(min = 0, max = 69) int at,
                                                       @ForAll @IntRange(min = 0, max = 2) int kind) {
        double bad = kind == 0 ? Double.NaN : kind == 1 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        double[] doubles = new double[n + 3];
        float[] floats = new float[n + 3];
        for (int i = 0; i < doubles.length; i++) {
            doubles[i] = i * 1e300;
            floats[i] = (i % 30) * 1e37f;
        }
        // Outside the range: never reported.
        doubles[0] = bad;
        floats[0] = (float) bad;
        assertEquals(-1, FiniteValues.firstNonFinite(doubles, 1, n + 1));
        assertEquals(-1, FiniteValues.firstNonFinite(floats, 1, n + 1));
        if (at < n) {
            doubles[1 + at] = bad;
            floats[1 + at] = (float) bad;
            assertEquals(1 + at, FiniteValues.firstNonFinite(doubles, 1, n + 1));
            assertEquals(1 + at, FiniteValues.firstNonFinite(floats, 1, n + 1));
        }
    }

    @Property(tries = 50)
    void largeFiniteValuesAreFinite(@ForAll @IntRange(min = 1, max = 70) int n) {
        double[] doubles = new double[n];
        float[] floats = new float[n];
        java.util.Arrays.fill(doubles, Double.MAX_VALUE);
        java.util.Arrays.fill(floats, -Float.MAX_VALUE);
        assertEquals(-1, FiniteValues.firstNonFinite(doubles, 0, n));
        assertEquals(-1, FiniteValues.firstNonFinite(floats, 0, n));
    }
}
