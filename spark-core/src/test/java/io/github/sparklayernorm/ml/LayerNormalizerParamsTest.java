package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;

class LayerNormalizerParamsTest {

    @Test
    void defaultsAreThoseOfPyTorchAndSparkMllib() {
        LayerNormalizer ln = new LayerNormalizer();
        assertEquals(1e-5, ln.getEpsilon());
        assertEquals("error", ln.getHandleInvalid());
        assertNull(ln.getScale());
        assertNull(ln.getShift());
        assertEquals(ln.uid() + "__output", ln.getOutputCol());
        assertEquals("auto", ln.getBackend());
        assertEquals(LayerNormalizer.DEFAULT_BATCH_SIZE, ln.getBatchSize());
        assertTrue(ln.uid().startsWith("layerNorm_"));
    }

    @Test
    void gettersReturnWhatWasSet() {
        LayerNormalizer ln = new LayerNormalizer("ln-1").setInputCol("a").setOutputCol("b").setEpsilon(1e-3)
                .setScale(new double[] {1, 2}).setShift(new double[] {3, 4}).setHandleInvalid("keep");
        assertEquals("ln-1", ln.uid());
        assertEquals("a", ln.getInputCol());
        assertEquals("b", ln.getOutputCol());
        assertEquals(1e-3, ln.getEpsilon());
        assertArrayEquals(new double[] {1, 2}, ln.getScale());
        assertArrayEquals(new double[] {3, 4}, ln.getShift());
        assertEquals("keep", ln.getHandleInvalid());
        ln.setInputCols(new String[] {"p", "q"}).setOutputCols(new String[] {"r", "s"});
        assertArrayEquals(new String[] {"p", "q"}, ln.getInputCols());
        assertArrayEquals(new String[] {"r", "s"}, ln.getOutputCols());
    }

    @Test
    void epsilonMustBeFiniteAndPositive() {
        for (double bad : new double[] {0, -1e-5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LayerNormalizer().setEpsilon(bad));
            assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
        }
    }

    @Test
    void scaleAndShiftMustBeFiniteAndNonEmpty() {
        assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setScale(new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setShift(new double[0]));
    }

    @Test
    void aNonFiniteScaleOrShiftValueIsNamedByParamIndexAndValueNotByTheWholeArray() {
        double[] wide = new double[4096];
        java.util.Arrays.fill(wide, 1.5);
        wide[3] = Double.NaN;
        String scale = assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setScale(wide)).getMessage();
        assertTrue(scale.contains("scale[3] is NaN; scale values must be finite") && scale.length() < 200, scale);
        wide[3] = 0;
        wide[4095] = Double.NEGATIVE_INFINITY;
        String shift = assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setShift(wide)).getMessage();
        assertTrue(shift.contains("shift[4095] is -Infinity") && shift.length() < 200, shift);
        String rms = assertThrows(IllegalArgumentException.class, () -> new RmsNormalizer().setScale(wide)).getMessage();
        assertTrue(rms.startsWith("rmsNorm_") && rms.contains("scale[4095] is -Infinity"), rms);
    }

    @Test
    void settingScaleToNullClearsIt() {
        LayerNormalizer ln = new LayerNormalizer().setScale(new double[] {2}).setScale(null);
        assertNull(ln.getScale());
    }

    @Test
    void scaleIsCopiedInAndOut() {
        double[] scale = {1, 2};
        LayerNormalizer ln = new LayerNormalizer().setScale(scale);
        scale[0] = 99;
        ln.getScale()[1] = 99;
        assertArrayEquals(new double[] {1, 2}, ln.getScale());
    }

    @Test
    void backendAcceptsOnlyAutoJavaOrOpencl() {
        assertEquals("opencl", new LayerNormalizer().setBackend("opencl").getBackend());
        assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setBackend("cuda"));
    }

    @Test
    void batchSizeMustBePositiveAndAtMostTheBound() {
        assertEquals(7, new LayerNormalizer().setBatchSize(7).getBatchSize());
        assertEquals(1 << 20, new LayerNormalizer().setBatchSize(LayerNormalizer.MAX_BATCH_SIZE).getBatchSize());
        assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setBatchSize(0));
        assertThrows(IllegalArgumentException.class,
                () -> new LayerNormalizer().setBatchSize(LayerNormalizer.MAX_BATCH_SIZE + 1));
        assertTrue(new LayerNormalizer().batchSize().doc().contains("from 1 to 1048576"));
    }

    @Test
    void handleInvalidAcceptsOnlyErrorSkipOrKeep() {
        assertThrows(IllegalArgumentException.class, () -> new LayerNormalizer().setHandleInvalid("ignore"));
    }

    @Test
    void explainParamsDescribesEveryParam() {
        String text = new LayerNormalizer().explainParams();
        for (String name : new String[] {"inputCol", "outputCol", "inputCols", "outputCols", "epsilon", "scale",
            "shift", "handleInvalid", "backend", "batchSize"}) {
            assertTrue(text.contains(name + ":"), name + " missing from:\n" + text);
        }
        assertTrue(text.contains("default: 1.0E-5"), text);
    }

    @Test
    void copyKeepsTheUidAndParamsAndAppliesExtras() {
        LayerNormalizer ln = new LayerNormalizer().setInputCol("a").setScale(new double[] {2});
        LayerNormalizer copy = ln.copy(new ParamMap().put(ln.epsilon(), 0.5));
        assertNotSame(ln, copy);
        assertEquals(ln.uid(), copy.uid());
        assertEquals("a", copy.getInputCol());
        assertArrayEquals(new double[] {2}, copy.getScale());
        assertEquals(0.5, copy.getEpsilon());
        assertEquals(1e-5, ln.getEpsilon());
    }
}
