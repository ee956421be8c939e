package io.github.sparklayernorm.kernels.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** One row per call, as Spark's per-cell expressions normalize: the same bits as a batch of that row. */
class RowByRowTest {

    private final JavaLayerNorm engine = new JavaLayerNorm();

    @Property(tries = 200)
    void aRowGivesTheBitsOfABatchOfThatRow(@ForAll @IntRange(min = 1, max = 700) int d,
                                           @ForAll @IntRange(min = 0, max = 9) int to,
                                           @ForAll @IntRange(min = 0, max = 3) int kind,
                                           @ForAll @LongRange(min = 0, max = 1L << 40) long seed) {
        Random random = new Random(seed);
        double[] row = new double[d];
        float[] floats = new float[d];
        for (int i = 0; i < d; i++) {
            row[i] = kind == 0 ? random.nextGaussian()
                    : kind == 1 ? 1e8 + random.nextGaussian()
                    : kind == 2 ? random.nextGaussian() * 1e200
                    : random.nextInt(50) == 0 ? Double.NaN : random.nextGaussian();
            floats[i] = (float) row[i];
        }
        double[] scale = new double[d];
        double[] shift = new double[d];
        for (int i = 0; i < d; i++) {
            scale[i] = random.nextGaussian();
            shift[i] = random.nextGaussian();
        }
        JavaLayerNorm.RowByRow rows = engine.rowByRow();
        for (LayerNormSpec spec : new LayerNormSpec[] {LayerNormSpec.of(1e-5, scale, shift), LayerNormSpec.rms(1e-6, scale)}) {
            double[] batch = new double[d];
            engine.normalize(row, batch, BatchLayout.uniform(1, d), spec);
            double[] out = new double[to + d];
            rows.normalize(row, 0, out, to, d, spec);
            assertArrayEquals(batch, Arrays.copyOfRange(out, to, to + d), "out of place, d=" + d);
            assertTrue(Arrays.stream(out, 0, to).allMatch(v -> v == 0), "nothing written before the row");
            double[] inPlace = Arrays.copyOf(row, d);
            rows.normalize(inPlace, 0, inPlace, 0, d, spec);
            assertArrayEquals(batch, inPlace, "in place, d=" + d);

            float[] floatBatch = new float[d];
            engine.normalize(floats, floatBatch, BatchLayout.uniform(1, d), spec);
            float[] floatOut = new float[to + d];
            rows.normalize(floats, 0, floatOut, to, d, spec);
            assertArrayEquals(floatBatch, Arrays.copyOfRange(floatOut, to, to + d), "floats, d=" + d);
        }
    }

    @Test
    void aRowMovedWithinItsOwnArrayIsRejected() {
        double[] row = {1, 2, 3, 4, 5};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.rowByRow().normalize(row, 0, row, 1, 4, LayerNormSpec.of(1e-5)));
        assertEquals("in place, a row must stay where it is: from 0 to 1", e.getMessage());
    }

    @Test
    void aRowOutsideItsArrayOrOfTheWrongLengthIsRejected() {
        JavaLayerNorm.RowByRow rows = engine.rowByRow();
        assertThrows(IllegalArgumentException.class,
                () -> rows.normalize(new double[4], 2, new double[4], 0, 3, LayerNormSpec.of(1e-5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rows.normalize(new double[4], 0, new double[4], 0, 4, LayerNormSpec.of(1e-5, new double[3], null)));
        assertTrue(e.getMessage().contains("the row has 4 values but scale/shift have 3"), e.getMessage());
    }
}
