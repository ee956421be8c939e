package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The whole engine contract, on a real OpenCL device (PoCL's CPU device where there is no GPU):
 * every batch of it with the Java engine's bits.
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

    /**
     * The contract's bit comparisons compare the device's work: ordinary rows (any offset, any
     * length, float or double, layer or RMS) are the kernel's own, none left to the Java engine on
     * the host. Rows with NaN, infinities or values beyond 2^±500 are the host's.
     */
    @Test
    void ordinaryRowsAreTheDevicesOwnAndExtremeOnesTheHosts() {
        OpenClLayerNorm device = (OpenClLayerNorm) engine();
        SplittableRandom random = new SplittableRandom(21);
        int[] offsets = {0, 1, 8, 25, 281, 4378, 8475};
        double[] in = new double[offsets[offsets.length - 1]];
        for (int r = 0; r + 1 < offsets.length; r++) {
            double[] row = gaussianRow(random, offsets[r + 1] - offsets[r], Math.scalb(1.0, 100 * r - 300),
                    Math.scalb(1e-3, 100 * r - 300));
            System.arraycopy(row, 0, in, offsets[r], row.length);
        }
        BatchLayout layout = BatchLayout.ofOffsets(offsets, offsets.length - 1);
        normalize(in, new double[in.length], layout, LayerNormSpec.of(1e-5));
        assertEquals(0, device.rowsLeftToTheHost());
        normalize(in, new double[in.length], layout, LayerNormSpec.rms(1e-5, null));
        assertEquals(0, device.rowsLeftToTheHost());
        float[] floats = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            floats[i] = (float) (in[i] * 0x1p-200);
        }
        normalize(floats, new float[floats.length], layout, LayerNormSpec.of(1e-5));
        assertEquals(0, device.rowsLeftToTheHost());

        in[offsets[2]] = Double.NaN;
        in[offsets[4]] = 1e300;
        normalize(in, new double[in.length], layout, LayerNormSpec.of(1e-5));
        assertEquals(2, device.rowsLeftToTheHost());
    }
}
