package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import com.aparapi.device.OpenCLDevice;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.Tolerance;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.ArrayList;
import java.util.List;
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
    /**
     * An executor's life: engines reused across stages and batches (and a fresh one every other
     * stage), each stage's spec serving a double, a float and a double batch, the collector run
     * between them so that it moves the arrays the engines keep; every batch with the Java engine's
     * bits, statistics included. (Here buffers live in host memory, so an unwritten device buffer
     * still reads right: {@code bin/gpu-check --simulate} finds such reads; this checks the bits.)
     */
    @Test
    void anExecutorsLifeGivesTheJavaEnginesBitsAfterEveryCollection() {
        OpenCLDevice device = OpenClTestSupport.requireDevice();
        SplittableRandom random = new SplittableRandom(38);
        OpenClLayerNorm reused = new OpenClLayerNorm(device);
        List<byte[]> kept = new ArrayList<>();
        int stage = 0;
        try {
            for (KernelShape shape : new KernelShape[] {KernelShape.ROW, KernelShape.GROUP}) {
                for (int d : new int[] {7, 64, 257, 1000, 4097, 16384}) {
                    for (boolean centered : new boolean[] {true, false}) {
                        double[] scale = stage % 3 == 2 ? null : gaussianRow(random, d, 1, 0.5);
                        double[] shift = centered && stage % 3 == 0 ? gaussianRow(random, d, 0, 1) : null;
                        LayerNormSpec spec = centered ? LayerNormSpec.of(1e-5, scale, shift)
                                : LayerNormSpec.rms(1e-5, scale);
                        OpenClLayerNorm engine = stage % 2 == 0 ? reused : new OpenClLayerNorm(device);
                        engine.use(shape);
                        try {
                            for (boolean floats : new boolean[] {false, true, false}) {
                                lifeBatch(engine, spec, BatchLayout.uniform(3, d), floats, random, stage % 2 == 1);
                                OpenClTestSupport.collectBetweenBatches(kept);
                            }
                        } finally {
                            if (engine != reused) {
                                engine.close();
                            }
                        }
                        stage++;
                    }
                }
            }
        } finally {
            reused.close();
        }
    }

    private static void lifeBatch(OpenClLayerNorm engine, LayerNormSpec spec, BatchLayout layout, boolean floats,
                                  SplittableRandom random, boolean withStatistics) {
        double[] in = new double[layout.end()];
        for (int r = 0; r < layout.rowCount(); r++) {
            System.arraycopy(gaussianRow(random, layout.length(r), 1e3 * (r + 1), 0.1), 0, in, layout.start(r),
                    layout.length(r));
        }
        String what = (spec.centered() ? "layer" : "rms") + ", " + (floats ? "float" : "double") + ", rows of "
                + layout.length(0) + ", " + engine.shape().word() + " shape";
        if (floats) {
            float[] inF = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                inF[i] = (float) in[i];
            }
            float[] expected = new float[in.length];
            new JavaLayerNorm().normalize(inF, expected, layout, spec);
            float[] out = new float[in.length];
            engine.normalize(inF, out, layout, spec);
            Tolerance.assertSameBits(what, expected, out);
        } else {
            RowStatistics expectedStats = withStatistics ? new RowStatistics() : null;
            RowStatistics stats = withStatistics ? new RowStatistics() : null;
            double[] expected = new double[in.length];
            new JavaLayerNorm().normalize(in, expected, layout, spec, expectedStats);
            double[] out = new double[in.length];
            engine.normalize(in, out, layout, spec, stats);
            Tolerance.assertSameBits(what, expected, out);
            for (int r = 0; stats != null && r < layout.rowCount(); r++) {
                Tolerance.assertSameBits(what + ", statistics of row " + r,
                        new double[] {expectedStats.mean(r), expectedStats.invStdDev(r)},
                        new double[] {stats.mean(r), stats.invStdDev(r)});
            }
        }
        assertEquals(0, engine.rowsLeftToTheHost(), what + ": rows left to the host");
    }
}
