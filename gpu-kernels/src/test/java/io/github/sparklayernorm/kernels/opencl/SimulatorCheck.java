package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.ExactLayerNorm;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.Tolerance;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Both kernel shapes on an OpenCL device simulator ({@code bin/gpu-check --simulate}: Oclgrind,
 * with its data-race, uninitialized-value and API checks on). The simulator reports what GPUs
 * punish and PoCL forgives (races in local memory, divergent barriers, reads of uninitialized or
 * out-of-bounds memory) on its stderr; the script fails on any such report. This class checks the
 * values: every row within the contract's bound of the exact reference, and every value and
 * statistic with the Java engine's bits.
 *
 * <p>Shapes are small (the simulator is thousands of times slower than PoCL) but reach every
 * boundary of the kernels: row lengths 1, 2, 7, 8 (around the first point's sample), 15, 16, 17
 * (around the lanes), 63, 64, 65 (around four values a lane, the earlier kernels' stride), 255, 256,
 * 257 (around a block), 4096 (the longest row the group shape keeps
 * in private memory, {@code HELD} values for each of 256 work-items) and 4097 (the first it reads
 * again, in a second round of blocks); float
 * and double; layer and RMS normalization, with scale and shift; statistics; groups (a flattened
 * row cut into equal rows); a ragged batch of every length at once.
 *
 * <p>Then the executor's life ({@link #executorLife}): pooled engines through batch after batch while
 * the collector moves the arrays they keep.
 *
 * <p>{@code --control}: runs {@link RacyKernel} only, which the simulator must report (the script
 * fails if it does not: a check that cannot fail checks nothing).
 */
public final class SimulatorCheck {

    static final int[] LENGTHS = {1, 2, 7, 8, 15, 16, 17, 63, 64, 65, 255, 256, 257,
        LayerNormKernel.HELD * LayerNormKernel.MAX_GROUP, LayerNormKernel.HELD * LayerNormKernel.MAX_GROUP + 1};
    private static final double EPSILON = 1e-5;
    /** The engine whose bits the kernels must give. */
    private static final JavaLayerNorm JAVA = new JavaLayerNorm();

    private final List<String> failures = new ArrayList<>();
    private int batches;
    private int rows;

    public static void main(String[] args) {
        List<OpenCLDevice> devices = OpenClDevices.all();
        if (devices.isEmpty()) {
            System.err.println("simulator check: no OpenCL device: " + OpenClDevices.inventory());
            System.exit(2);
        }
        OpenCLDevice device = devices.get(0);
        System.out.println("simulator check on " + OpenClDevices.describe(device));
        if (args.length == 1 && args[0].equals("--control")) {
            control(device);
            return;
        }
        SimulatorCheck check = new SimulatorCheck();
        // --executor-life: that part alone (bin/gpu-check --simulate runs it again under a small heap).
        if (!(args.length == 1 && args[0].equals("--executor-life"))) {
            check.accelerator(device);
            for (KernelShape shape : new KernelShape[] {KernelShape.ROW, KernelShape.GROUP}) {
                check.shape(device, shape);
            }
        }
        for (KernelShape shape : new KernelShape[] {KernelShape.ROW, KernelShape.GROUP}) {
            check.executorLife(shape);
        }
        System.out.println("simulator check: " + check.batches + " batches, " + check.rows + " rows, "
                + check.failures.size() + " wrong");
        check.failures.forEach(f -> System.out.println("  " + f));
        System.exit(check.failures.isEmpty() ? 0 : 1);
    }

    /** The negative control: a local-memory race, run once. */
    private static void control(OpenCLDevice device) {
        RacyKernel kernel = new RacyKernel();
        kernel.setExplicit(true);
        kernel.put(kernel.out);
        kernel.execute(device.createRange(RacyKernel.SIZE, RacyKernel.SIZE));
        kernel.get(kernel.out);
        System.out.println("simulator check: the racy control kernel ran on OpenCL: " + kernel.isRunningCL());
        kernel.dispose();
    }

    /**
     * What {@code auto} does on an accelerator (the simulator's type; FPGAs and the like): it is not a
     * GPU, so backend {@code auto} does not take it without {@code sparklayernorm.auto.useCpuDevices},
     * and the kernel shape {@code auto} is the row shape, as on any device that is not a GPU.
     */
    private void accelerator(OpenCLDevice device) {
        expect(device.getType() == Device.TYPE.ACC, "the simulator is an accelerator, not " + device.getType());
        expect(!BackendSelector.autoUsesOpenCl(), "backend auto leaves an accelerator to the Java engine");
        OpenClLayerNorm engine = new OpenClLayerNorm(device);
        engine.use(KernelShape.AUTO);
        expect(engine.shape() == KernelShape.ROW, "kernel shape auto is the row shape on an accelerator");
        engine.close();
    }

    private void shape(OpenCLDevice device, KernelShape shape) {
        OpenClLayerNorm engine = new OpenClLayerNorm(device);
        engine.use(shape);
        try {
            SplittableRandom random = new SplittableRandom(shape.ordinal() + 1);
            for (boolean centered : new boolean[] {true, false}) {
                for (boolean floats : new boolean[] {false, true}) {
                    for (int d : LENGTHS) {
                        double[] scale = affine(random, d, 0.5, 2);
                        double[] shift = centered ? affine(random, d, -1, 1) : null;
                        LayerNormSpec spec = centered ? LayerNormSpec.of(EPSILON, scale, shift)
                                : LayerNormSpec.rms(EPSILON, scale);
                        batch(engine, shape, BatchLayout.uniform(2, d), spec, floats, random, d > 2);
                    }
                    // A ragged batch: every length at once, in a work-group size set by the longest.
                    int[] offsets = new int[LENGTHS.length + 1];
                    for (int i = 0; i < LENGTHS.length; i++) {
                        offsets[i + 1] = offsets[i] + LENGTHS[i];
                    }
                    LayerNormSpec plain = centered ? LayerNormSpec.of(EPSILON) : LayerNormSpec.rms(EPSILON, null);
                    batch(engine, shape, BatchLayout.ofOffsets(offsets, LENGTHS.length), plain, floats, random, true);
                    // Groups: a flattened [8 x 48] row as the engine sees it, 8 rows of 48 with one scale.
                    LayerNormSpec grouped = centered ? LayerNormSpec.of(EPSILON, affine(random, 48, 0.5, 2), null)
                            : LayerNormSpec.rms(EPSILON, affine(random, 48, 0.5, 2));
                    batch(engine, shape, BatchLayout.uniform(8, 48), grouped, floats, random, false);
                }
            }
        } finally {
            engine.close();
        }
    }

    /** Row lengths an executor's stages have here: short, around a block, past the private memory. */
    private static final int[] EXECUTOR_LENGTHS = {7, 64, 257, 1000, 4097};

    /**
     * The kernels as an executor runs them, for {@code executorLife}: engines from the pool, borrowed
     * and given back as tasks do (every other stage's engine is discarded, so the next is made
     * fresh), each stage's spec serving a double batch, a float batch and a double batch again, while
     * the JVM allocates (the Java engine, other tasks) and collects between them: young collections
     * and a forced full one move the arrays the engine keeps. Layer and RMS, with and without scale,
     * shift and statistics; every batch with the Java engine's bits, and nothing the simulator finds
     * read from device memory that no one wrote.
     */
    private void executorLife(KernelShape shape) {
        SplittableRandom random = new SplittableRandom(100 + shape.ordinal());
        List<byte[]> kept = new ArrayList<>();
        int stage = 0;
        for (int d : EXECUTOR_LENGTHS) {
            for (boolean centered : new boolean[] {true, false}) {
                double[] scale = stage % 3 == 2 ? null : affine(random, d, 0.5, 2);
                double[] shift = centered && stage % 3 == 0 ? affine(random, d, -1, 1) : null;
                LayerNormSpec spec = centered ? LayerNormSpec.of(EPSILON, scale, shift) : LayerNormSpec.rms(EPSILON, scale);
                OpenClLayerNorm engine = OpenClEnginePool.borrowRequired(null);
                engine.use(shape);
                boolean healthy = false;
                try {
                    for (boolean floats : new boolean[] {false, true, false}) {
                        batch(engine, shape, BatchLayout.uniform(2, d), spec, floats, random, stage % 2 == 0);
                        OpenClTestSupport.collectBetweenBatches(kept);
                    }
                    healthy = true;
                } finally {
                    if (healthy && stage % 2 == 0) {
                        OpenClEnginePool.giveBack(engine);
                    } else {
                        OpenClEnginePool.discard(engine);
                    }
                }
                stage++;
            }
        }
    }

    private static double[] affine(SplittableRandom random, int d, double low, double high) {
        double[] values = new double[d];
        for (int i = 0; i < d; i++) {
            values[i] = low + (high - low) * random.nextDouble();
        }
        return values;
    }

    /** One batch on the device, each row checked against the exact reference (and its statistics). */
    private void batch(OpenClLayerNorm engine, KernelShape shape, BatchLayout layout, LayerNormSpec spec,
                       boolean floats, SplittableRandom random, boolean withStatistics) {
        double[] in = new double[layout.end()];
        for (int r = 0; r < layout.rowCount(); r++) {
            // Rows far from 0 (an offset 1e4 times their spread): the case the numerics exist for.
            double[] row = LayerNormEngineContract.gaussianRow(random, layout.length(r), 1e3 * (r + 1), 0.1);
            System.arraycopy(row, 0, in, layout.start(r), row.length);
        }
        RowStatistics stats = withStatistics ? new RowStatistics() : null;
        RowStatistics javaStats = withStatistics ? new RowStatistics() : null;
        double[] out = new double[in.length];
        float[] outF = new float[in.length];
        float[] inF = new float[in.length];
        String batch = shape.word() + " shape, " + (spec.centered() ? "layer" : "rms") + ", "
                + (floats ? "float" : "double") + ", rows of " + layout.length(0) + (layout.rowCount() > 1
                && layout.length(1) != layout.length(0) ? " and more" : "");
        try {
            if (floats) {
                for (int i = 0; i < in.length; i++) {
                    inF[i] = (float) in[i];
                    in[i] = inF[i];
                }
                engine.normalize(inF, outF, layout, spec, stats);
                expect(engine.rowsLeftToTheHost() == 0, batch + ": the device left " + engine.rowsLeftToTheHost()
                        + " ordinary rows to the host");
                float[] java = new float[in.length];
                JAVA.normalize(inF, java, layout, spec, javaStats);
                Tolerance.assertSameBits(batch, java, outF);
            } else {
                engine.normalize(in, out, layout, spec, stats);
                expect(engine.rowsLeftToTheHost() == 0, batch + ": the device left " + engine.rowsLeftToTheHost()
                        + " ordinary rows to the host");
                double[] java = new double[in.length];
                JAVA.normalize(in, java, layout, spec, javaStats);
                Tolerance.assertSameBits(batch, java, out);
            }
            for (int r = 0; stats != null && r < layout.rowCount(); r++) {
                Tolerance.assertSameBits(batch + ", statistics of row " + r,
                        new double[] {javaStats.mean(r), javaStats.invStdDev(r)},
                        new double[] {stats.mean(r), stats.invStdDev(r)});
            }
        } catch (AssertionError e) {
            failures.add(e.getMessage());
        }
        batches++;
        for (int r = 0; r < layout.rowCount(); r++) {
            rows++;
            int start = layout.start(r);
            double[] x = Arrays.copyOfRange(in, start, start + layout.length(r));
            String what = shape.word() + " shape, " + (spec.centered() ? "layer" : "rms") + ", "
                    + (floats ? "float" : "double") + ", row " + r + " of " + x.length;
            ExactLayerNorm.Result exact = spec.centered()
                    ? ExactLayerNorm.of(x, EPSILON, spec.scaleOrNull(), spec.shiftOrNull())
                    : ExactLayerNorm.rms(x, EPSILON, spec.scaleOrNull());
            try {
                if (floats) {
                    Tolerance.assertFloatRowClose(what, outF, start, exact, spec.scaleOrNull(), spec.shiftOrNull());
                } else {
                    Tolerance.assertDoubleRowClose(what, out, start, exact, spec.scaleOrNull(), spec.shiftOrNull());
                }
                if (stats != null) {
                    double[] expected = ExactLayerNorm.statistics(x, EPSILON, spec.centered());
                    close(what + ", mean", stats.mean(r), expected[0], Math.abs(expected[0]));
                    close(what + ", inverse deviation", stats.invStdDev(r), expected[1], expected[1]);
                }
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
    }

    private void close(String what, double actual, double expected, double magnitude) {
        if (!(Math.abs(actual - expected) <= Tolerance.DOUBLE_RELATIVE * magnitude + Double.MIN_NORMAL)) {
            failures.add(what + " is " + actual + ", exact " + expected);
        }
    }

    private void expect(boolean holds, String what) {
        if (!holds) {
            failures.add(what);
        }
    }
}
