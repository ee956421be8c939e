package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LayerNormSpecTest {

    @Test
    void epsilonMustBeFiniteAndPositive() {
        for (double bad : new double[] {0, -1e-5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerNormSpec.of(bad));
            assertTrue(e.getMessage().contains("epsilon must be finite and > 0"), e.getMessage());
        }
    }

    @Test
    void scaleAndShiftMustHaveTheSameLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerNormSpec.of(1e-5, new double[3], new double[4]));
        assertTrue(e.getMessage().contains("scale has 3 values but shift has 4"), e.getMessage());
    }

    @Test
    void nonFiniteScaleIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerNormSpec.of(1e-5, new double[] {1, Double.NaN}, null));
        assertTrue(e.getMessage().contains("scale[1] is NaN"), e.getMessage());
    }

    @Test
    void requiredRowLengthComesFromScaleOrShift() {
        assertEquals(-1, LayerNormSpec.of(1e-5).requiredRowLength());
        assertEquals(2, LayerNormSpec.of(1e-5, null, new double[2]).requiredRowLength());
        assertEquals(3, LayerNormSpec.of(1e-5, new double[3], null).requiredRowLength());
    }

    @Test
    void specKeepsItsOwnCopyOfTheAffineParameters() {
        double[] scale = {1, 2};
        LayerNormSpec spec = LayerNormSpec.of(1e-5, scale, null);
        scale[0] = 99;
        assertEquals(1.0, spec.scaleOrNull()[0]);
    }
}
