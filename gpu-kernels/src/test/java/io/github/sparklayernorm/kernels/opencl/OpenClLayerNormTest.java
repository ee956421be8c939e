package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The whole engine contract, on a real OpenCL device (PoCL's CPU device where there is no GPU),
 * and equivalence with the Java engine on random batches.
 */
@RequiresOpenClDevice
class OpenClLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return new OpenClLayerNorm(OpenClTestSupport.requireDevice());
    }

    /**
     * OpenCL drivers replace the JVM's signal handlers once a kernel has run; without libjsig
     * preloaded (the build does it) Java's integer division by zero then stops throwing.
     */
    @Test
    void javaSignalsStillWorkAfterAKernelRan() {
        engine().normalize(new double[] {1, 2, 3}, new double[3], BatchLayout.uniform(1, 3), LayerNormSpec.of(1e-5));
        int zero = Integer.parseInt("0");
        assertThrows(ArithmeticException.class, () -> System.out.println(7 / zero));
    }

    @Property(tries = 60)
    void batchesMatchTheJavaEngineWithinTheDoubleTolerance(@ForAll @IntRange(min = 1, max = 40) int rows,
                                                           @ForAll @IntRange(min = 1, max = 300) int d,
                                                           @ForAll @IntRange(min = -120, max = 120) int offsetExponent,
                                                           @ForAll @LongRange long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double offset = Math.scalb(random.nextDouble() - 0.5, offsetExponent);
        double[] in = gaussianRow(random, rows * d, offset, Math.abs(offset) * 1e-3 + 1e-30);
        double[] scale = random.nextBoolean() ? gaussianRow(random, d, 1, 1) : null;
        double[] shift = random.nextBoolean() ? gaussianRow(random, d, 0, 1) : null;
        LayerNormSpec spec = random.nextInt(3) == 0 ? LayerNormSpec.rms(1e-5, scale) : LayerNormSpec.of(1e-5, scale, shift);
        BatchLayout layout = BatchLayout.uniform(rows, d);

        double[] java = new double[in.length];
        new JavaLayerNorm().normalize(in, java, layout, spec);
        double[] openCl = new double[in.length];
        engine().normalize(in, openCl, layout, spec);
        for (int r = 0; r < rows; r++) {
            double rowScale = 1;
            for (int i = 0; i < d; i++) {
                rowScale = Math.max(rowScale, Math.abs(java[r * d + i]));
            }
            for (int i = 0; i < d; i++) {
                int k = r * d + i;
                assertTrue(Math.abs(openCl[k] - java[k]) <= 1e-12 * rowScale,
                        "row " + r + " value " + i + ": opencl " + openCl[k] + ", java " + java[k]);
            }
        }

        float[] inF = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            inF[i] = (float) in[i];
        }
        float[] javaF = new float[in.length];
        new JavaLayerNorm().normalize(inF, javaF, layout, spec);
        float[] openClF = new float[in.length];
        engine().normalize(inF, openClF, layout, spec);
        for (int k = 0; k < inF.length; k++) {
            // Both round a double to float once; the doubles differ by far less than a float ulp.
            assertEquals(javaF[k], openClF[k], Math.ulp(javaF[k]), "float value " + k);
        }
    }
}
