package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.KernelShape;
import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.java.CanonicalArithmetic;
import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * The OpenCL engine, through Aparapi, on one device. Not thread-safe: one instance per thread at a
 * time (Aparapi's {@code execute} is synchronized anyway, and each instance has its own OpenCL
 * context and device buffers).
 *
 * <p>Nothing is left to Aparapi's silent fallbacks: the kernel is compiled for this device up
 * front ({@link OpenClFailure.Stage#COMPILE} if it cannot be; a device without fp64 cannot), and
 * after every run the engine checks that it really ran on OpenCL ({@link OpenClFailure.Stage#EXECUTE}
 * if not). Outputs are written only after a run succeeded, so a failed batch leaves the caller's
 * arrays as they were and can be recomputed elsewhere.
 *
 * <p>Buffers: the batch is staged in arrays the engine owns and reuses (grown, never shrunk), so
 * the device buffers behind them are reused from batch to batch. Memory is bounded by the batch.
 */
public final class OpenClLayerNorm implements LayerNormEngine {

    /** The backend's name, in params, metrics and logs. */
    public static final String NAME = "opencl";

    /** See {@link OpenClDevices#NATIVE}: batches, compiling and disposing reach Aparapi one at a time. */
    private static final Object NATIVE = OpenClDevices.NATIVE;

    private final OpenCLDevice device;
    private final String description;
    private final LayerNormKernel kernel = new LayerNormKernel();
    private final DeviceOutput output = new DeviceOutput();
    private final int localSize;
    /** The largest work-group of the group shape on this device: a power of two, at most 256. */
    private final int maxGroupSize;
    private final boolean gpu;
    private final boolean groupShapeFits;
    private KernelShape shape = KernelShape.AUTO;
    private LayerNormSpec loadedSpec;
    private boolean selfChecking;
    private boolean ranOnce;
    private boolean closed;
    private int rowsLeftToTheHost;
    /** What a batch without device faults reports: every row this device's. */
    private final BatchReport report;

    /**
     * Compiles the kernel for the device.
     *
     * @throws OpenClFailure (COMPILE) if it does not compile there
     */
    public OpenClLayerNorm(OpenCLDevice device) {
        this.device = device;
        this.description = OpenClDevices.describe(device);
        this.localSize = Math.max(1, Math.min(64, device.getMaxWorkGroupSize()));
        this.maxGroupSize = Integer.highestOneBit(Math.max(1, Math.min(LayerNormKernel.MAX_GROUP,
                device.getMaxWorkGroupSize())));
        // The group shape gives each of a block's 16 lanes a work-item: it needs groups of 16.
        this.groupShapeFits = maxGroupSize >= LayerNormKernel.MIN_GROUP;
        this.gpu = device.getType() == com.aparapi.device.Device.TYPE.GPU;
        this.report = BatchReport.of(NAME + ": " + description);
        kernel.setExplicit(true);
        kernel.amplificationBound = CanonicalArithmetic.AMPLIFICATION_BOUND;
        kernel.tiny = CanonicalArithmetic.TINY;
        kernel.largestFinite = Double.MAX_VALUE;
        try {
            synchronized (NATIVE) {
                kernel.compile(device);
            }
        } catch (CompileFailedException | RuntimeException | LinkageError e) {
            // LinkageError: a classpath that breaks Aparapi's bytecode reader (bcel and its
            // commons-lang3) must not take the task down with it.
            synchronized (NATIVE) {
                kernel.dispose();
            }
            if (e instanceof OpenClFailure) {
                throw (OpenClFailure) e;
            }
            throw new OpenClFailure(OpenClFailure.Stage.COMPILE, "the layer-norm kernel did not compile for "
                    + description + " (the kernel needs double precision, cl_khr_fp64): " + e, e);
        }
        selfCheck();
    }

    /**
     * Runs one small batch whose answer is known, before any real data: a device that compiles
     * but computes wrongly is caught here. (It also means a kernel is always run before it is
     * disposed: Aparapi 3.0.2 crashes the JVM disposing a compiled kernel that never ran.)
     */
    private void selfCheck() {
        for (KernelShape checked : new KernelShape[] {KernelShape.ROW, KernelShape.GROUP}) {
            selfCheck(checked);
        }
    }

    /** The self-check in one shape: both are checked, whichever a task will use. */
    private void selfCheck(KernelShape checked) {
        if (checked == KernelShape.GROUP && !groupShapeFits) {
            return;
        }
        double[] row = {1, 2, 3, 4};
        double[] out = new double[4];
        selfChecking = true;
        KernelShape chosen = shape;
        shape = checked;
        try {
            normalize(row, out, BatchLayout.uniform(1, 4), LayerNormSpec.of(0.75));
        } catch (OpenClFailure e) {
            close();
            throw e;
        } finally {
            selfChecking = false;
            shape = chosen;
        }
        if (FaultInjection.active(OpenClFailure.Stage.SELF_CHECK.word())) {
            out[0] = Double.NaN;
        }
        // {1, 2, 3, 4}: mean 2.5, variance 1.25; with epsilon 0.75 the denominator is sqrt(2) exactly.
        double[] expected = {-1.5 / Math.sqrt(2), -0.5 / Math.sqrt(2), 0.5 / Math.sqrt(2), 1.5 / Math.sqrt(2)};
        for (int i = 0; i < 4; i++) {
            if (!(Math.abs(out[i] - expected[i]) <= 1e-15)) {
                close();
                throw new OpenClFailure(OpenClFailure.Stage.SELF_CHECK, "the layer-norm kernel (" + checked.word()
                        + " shape) gave wrong results on " + description + " in its self-check: " + Arrays.toString(out));
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The kernel's shape for the following batches: {@code auto} takes the group shape on a GPU and
     * the row shape on other devices (and on a device whose work-groups cannot hold 16 work-items,
     * whatever was asked: the shapes give the same bits). Pooled engines are reused by tasks of any
     * stage, so a task sets it when it borrows one.
     */
    public void use(KernelShape requested) {
        shape = requested;
    }

    /** The shape the next batch runs in, {@code auto} resolved for this device. */
    public KernelShape shape() {
        if (!groupShapeFits) {
            return KernelShape.ROW;
        }
        if (shape == KernelShape.AUTO) {
            return gpu ? KernelShape.GROUP : KernelShape.ROW;
        }
        return shape;
    }

    /**
     * Milliseconds the latest batch's kernel ran on the device, as Aparapi measures its
     * {@code execute} (transfers are explicit, before and after, so not in it): for the GPU check's
     * kernel-only throughput.
     */
    public double lastKernelMillis() {
        return kernel.getExecutionTime();
    }

    /**
     * Rows of the latest batch that the kernel did not finish itself (the Java engine's scalar
     * path, or a fault): tests check that the rows they compare were the device's own.
     */
    int rowsLeftToTheHost() {
        return rowsLeftToTheHost;
    }

    /** How logs and metrics name this engine's device. */
    public String device() {
        return description;
    }

    long deviceId() {
        return device.getDeviceId();
    }

    boolean closed() {
        return closed;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Rows the device got wrong (an output that is not finite where the Java engine's is) were
     * recomputed by the Java engine and are listed in the report: the caller counts them so, or
     * fails if OpenCL was required.
     */
    @Override
    public BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return normalizeBatch(in, out, layout, spec, stats);
    }

    @Override
    public BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return normalizeBatch(in, out, layout, spec, stats);
    }

    /**
     * Both element types in one path: the per-value work is on the device, so the host side needs
     * no type-specialized code; the array's type picks the kernel's buffers ({@code useFloat}).
     */
    private BatchReport normalizeBatch(Object in, Object out, BatchLayout layout, LayerNormSpec spec,
                                       RowStatistics stats) {
        LayerNormEngine.checkBatch(Array.getLength(in), Array.getLength(out), layout, spec);
        if (layout.rowCount() == 0) {
            return report;
        }
        // Only the batch's own span is staged: a layout may start anywhere in a larger array.
        int base = layout.start(0);
        int n = layout.end() - base;
        boolean floats = in instanceof float[];
        kernel.useFloat = floats ? 1 : 0;
        Object kernelIn;
        Object kernelOut;
        if (floats) {
            kernelIn = kernel.inF = kernel.inF.length >= n ? kernel.inF : new float[grown(kernel.inF.length, n)];
            kernelOut = kernel.outF = kernel.outF.length >= n ? kernel.outF : new float[grown(kernel.outF.length, n)];
        } else {
            kernelIn = kernel.inD = kernel.inD.length >= n ? kernel.inD : new double[grown(kernel.inD.length, n)];
            kernelOut = kernel.outD = kernel.outD.length >= n ? kernel.outD : new double[grown(kernel.outD.length, n)];
        }
        System.arraycopy(in, base, kernelIn, 0, n);
        synchronized (NATIVE) {
            transfer(OpenClFailure.Stage.TRANSFER_IN, () -> putArray(kernelIn));
            run(layout, spec, stats);
            transfer(OpenClFailure.Stage.TRANSFER_OUT, () -> getArray(kernelOut));
        }
        rowsLeftToTheHost = 0;
        for (int r = 0; r < layout.rowCount(); r++) {
            rowsLeftToTheHost += kernel.status[r] == 0 ? 0 : 1;
        }
        boolean injectNaN = !selfChecking && FaultInjection.active(OpenClFailure.Stage.OUTPUT.word());
        return output.deliver(kernelOut, kernel.status, kernel.meanOut, kernel.invStdOut, injectNaN, in, out, layout,
                spec, stats, report);
    }

    /** A staging buffer's new length: at least {@code n}, and half as large again, so growth is rare. */
    private static int grown(int length, int n) {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(n, length + (long) length / 2));
    }

    /** Aparapi's put and get are overloaded per array type, not generic. */
    private void putArray(Object array) {
        if (array instanceof float[]) {
            kernel.put((float[]) array);
        } else {
            kernel.put((double[]) array);
        }
    }

    private void getArray(Object array) {
        if (array instanceof float[]) {
            kernel.get((float[]) array);
        } else {
            kernel.get((double[]) array);
        }
    }

    /**
     * One Aparapi call that moves data, inside the fault handling: any failure of it is an
     * {@link OpenClFailure} of {@code stage}, which the caller turns into the Java engine (auto) or
     * an error (opencl), never a failed task.
     */
    private void transfer(OpenClFailure.Stage stage, Runnable call) {
        try {
            if (!selfChecking) {
                FaultInjection.at(stage, description);
            }
            call.run();
        } catch (OpenClFailure e) {
            throw e;
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new OpenClFailure(stage, "the " + stage.word() + " step failed on " + description + ": " + e, e);
        }
    }

    /** Ships offsets and parameters, runs the kernel, and checks that it really ran on OpenCL. */
    private void run(BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        if (closed) {
            throw new IllegalStateException("engine for " + description + " is closed");
        }
        int rows = layout.rowCount();
        if (kernel.offsets.length < rows + 1) {
            kernel.offsets = new int[Math.max(rows + 1, kernel.offsets.length * 2)];
            kernel.status = new int[kernel.offsets.length];
            kernel.meanOut = new double[kernel.offsets.length];
            kernel.invStdOut = new double[kernel.offsets.length];
        }
        kernel.wantStats = stats == null ? 0 : 1;
        int base = layout.start(0);
        for (int r = 0; r <= rows; r++) {
            kernel.offsets[r] = (r < rows ? layout.start(r) : layout.end()) - base;
        }
        transfer(OpenClFailure.Stage.TRANSFER_IN, () -> {
            kernel.put(kernel.offsets);
            loadSpec(spec);
        });
        kernel.rows = rows;
        int local;
        int global;
        if (shape() == KernelShape.GROUP) {
            // 16 work-items per block of 256 values, for as many blocks as the longest row has (a
            // power of two, for the flag's tree reduction), up to the largest group.
            long blocks = Math.max(1L, ((long) layout.maxRowLength() + CanonicalArithmetic.BLOCK - 1)
                    / CanonicalArithmetic.BLOCK);
            local = (int) Math.min(maxGroupSize, CanonicalArithmetic.LANES * Long.highestOneBit(2 * blocks - 1));
            global = rows * local;
            kernel.mode = LayerNormKernel.GROUP;
        } else {
            local = localSize;
            global = (rows + localSize - 1) / localSize * localSize;
            kernel.mode = LayerNormKernel.ROW;
        }
        try {
            if (!selfChecking) {
                FaultInjection.at(OpenClFailure.Stage.EXECUTE, description);
            }
            Range range = device.createRange(global, local);
            kernel.execute(range);
            ranOnce = true;
        } catch (OpenClFailure e) {
            throw e;
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new OpenClFailure(OpenClFailure.Stage.EXECUTE, "the layer-norm kernel failed on " + description
                    + ": " + e, e);
        }
        boolean fellBack = !selfChecking && FaultInjection.active(FaultInjection.FALLBACK);
        if (!kernel.isRunningCL() || fellBack) {
            throw new OpenClFailure(OpenClFailure.Stage.EXECUTE, "Aparapi did not execute the kernel on " + description
                    + " but in mode " + (fellBack ? "JTP (injected: " + FaultInjection.PROPERTY + ")"
                    : kernel.getExecutionMode()) + "; its results are discarded");
        }
        transfer(OpenClFailure.Stage.TRANSFER_OUT, () -> {
            kernel.get(kernel.status);
            if (stats != null) {
                kernel.get(kernel.meanOut);
                kernel.get(kernel.invStdOut);
            }
        });
    }

    /**
     * Scale and shift go to the device before every batch, not once per spec: when the collector
     * moves a Java array between two runs, Aparapi gives it a new device buffer and writes it only
     * if a put is pending, so an array put once would be read from a buffer nothing wrote.
     */
    private void loadSpec(LayerNormSpec spec) {
        if (!spec.equals(loadedSpec)) {
            double[] scale = spec.scaleOrNull();
            double[] shift = spec.shiftOrNull();
            kernel.rms = spec.centered() ? 0 : 1;
            kernel.hasScale = scale == null ? 0 : 1;
            kernel.hasShift = shift == null ? 0 : 1;
            kernel.scale = scale == null ? new double[1] : scale;
            kernel.shift = shift == null ? new double[1] : shift;
            kernel.epsilon = spec.epsilon();
            loadedSpec = spec;
        }
        kernel.put(kernel.scale);
        kernel.put(kernel.shift);
    }

    /**
     * Releases the OpenCL context and device buffers. A kernel that never ran is not disposed:
     * Aparapi 3.0.2 crashes the JVM disposing a compiled kernel that never ran (measured on PoCL),
     * so its few native resources are left to the process's end.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (ranOnce) {
                try {
                    synchronized (NATIVE) {
                        kernel.dispose();
                    }
                } catch (RuntimeException | LinkageError e) {
                    // Nothing is left to save: the engine is gone either way, and a failing
                    // device's context is the driver's to reclaim.
                }
            }
        }
    }
}
