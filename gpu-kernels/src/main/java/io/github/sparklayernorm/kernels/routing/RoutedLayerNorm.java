package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClFailure;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The engine a task uses: each batch goes to the OpenCL engine when there is one, else to the
 * Java engine, and each batch's {@link BatchReport} says which engine normalized which of its
 * rows, for the caller to count.
 *
 * <p>When OpenCL fails on a batch, the batch is left untouched by it (the OpenCL engine writes
 * only after a successful run). If OpenCL is required the failure is thrown; otherwise the
 * listener hears why, the OpenCL engine is discarded, and this batch and every later one are
 * computed by the Java engine: no row is lost or computed twice into the output.
 */
public final class RoutedLayerNorm implements LayerNormEngine {

    private final JavaLayerNorm java = new JavaLayerNorm();
    private final boolean openClRequired;
    private final BackendListener listener;
    private OpenClLayerNorm openCl;
    /** Under auto with calibration: the shapes of batches are measured on both engines first. */
    private final boolean calibrate;

    RoutedLayerNorm(OpenClLayerNorm openCl, boolean openClRequired, BackendListener listener) {
        this(openCl, openClRequired, false, listener);
    }

    RoutedLayerNorm(OpenClLayerNorm openCl, boolean openClRequired, boolean calibrate, BackendListener listener) {
        this.openCl = openCl;
        this.openClRequired = openClRequired;
        this.calibrate = calibrate && !openClRequired;
        this.listener = listener;
    }

    @Override
    public String name() {
        return openCl != null ? openCl.name() : java.name();
    }

    @Override
    public int preferredBatchValues() {
        return openCl != null ? openCl.preferredBatchValues() : java.preferredBatchValues();
    }

    @Override
    public BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return route(engine -> engine.normalize(in, out, layout, spec, stats),
                () -> java.normalize(in, new double[out.length], layout, spec, trialStatistics(stats)),
                layout, "double");
    }

    @Override
    public BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return route(engine -> engine.normalize(in, out, layout, spec, stats),
                () -> java.normalize(in, new float[out.length], layout, spec, trialStatistics(stats)),
                layout, "float");
    }

    private static RowStatistics trialStatistics(RowStatistics stats) {
        return stats == null ? null : new RowStatistics();
    }

    /**
     * Under {@code auto} with calibration, a batch of a shape not yet decided runs on both engines:
     * first the Java engine into a scratch array (it reads the input before the device may
     * overwrite it in place), then the device into the output, each timed; a shape decided for the
     * Java engine goes there, and the report says why. Otherwise as {@link #route(Function, int)}.
     */
    private BatchReport route(Function<LayerNormEngine, BatchReport> batch, Supplier<BatchReport> javaTrial,
                              BatchLayout layout, String type) {
        if (openCl == null || !calibrate || layout.rowCount() == 0) {
            return route(batch, layout.rowCount());
        }
        String shape = type + " rows of " + layout.maxRowLength();
        String device = openCl.device();
        AutoCalibration.Decision decision = AutoCalibration.decided(device, shape);
        if (decision != null) {
            BatchReport report = decision.java ? batch.apply(java) : route(batch, layout.rowCount());
            boolean onJava = report.backend().equals(JavaLayerNorm.NAME);
            return onJava == decision.java ? report.because(decision.reason()) : report;
        }
        long values = (long) layout.end() - layout.start(0);
        long start = System.nanoTime();
        javaTrial.get();
        double javaNanos = System.nanoTime() - start;
        start = System.nanoTime();
        BatchReport report = route(batch, layout.rowCount());
        double deviceNanos = System.nanoTime() - start;
        if (openCl != null && !report.backend().equals(JavaLayerNorm.NAME)) {
            decision = AutoCalibration.record(device, shape, deviceNanos / values, javaNanos / values);
            if (decision != null) {
                listener.calibrated(decision.java ? JavaLayerNorm.NAME : OpenClLayerNorm.NAME, device, decision.figures());
            }
        }
        return report;
    }

    /**
     * Runs one batch on OpenCL if there is an engine for it, else (or when OpenCL fails) on Java.
     * Rows the device got wrong (non-finite output of finite input) were recomputed by the Java
     * engine and count as Java's; when OpenCL is required they fail the batch instead.
     */
    private BatchReport route(Function<LayerNormEngine, BatchReport> batch, int rows) {
        if (openCl != null) {
            try {
                BatchReport report = batch.apply(openCl);
                int faulty = report.recomputedRows();
                if (faulty > 0) {
                    String what = openCl.device() + " wrote NaN or infinite values for rows whose input is finite ("
                            + faulty + " of " + rows + " in a batch)";
                    if (openClRequired) {
                        throw new OpenClFailure(OpenClFailure.Stage.OUTPUT, what);
                    }
                    listener.recomputed(openCl.device(), what);
                }
                return report;
            } catch (OpenClFailure e) {
                abandonOpenCl(e);
            }
        }
        return batch.apply(java);
    }

    private void abandonOpenCl(OpenClFailure failure) {
        OpenClLayerNorm failed = openCl;
        openCl = null;
        OpenClEnginePool.discard(failed);
        if (openClRequired) {
            throw failure;
        }
        listener.fellBack(failure.stage().word(), failure.getMessage());
    }

    @Override
    public void close() {
        if (openCl != null) {
            OpenClEnginePool.giveBack(openCl);
            openCl = null;
        }
    }
}
