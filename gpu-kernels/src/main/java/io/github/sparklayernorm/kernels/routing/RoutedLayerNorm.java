package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.BackendListener;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.OpenClFailure;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.function.Consumer;

/**
 * The engine a task uses: each batch goes to the OpenCL engine when there is one, else to the
 * Java engine, and after each batch {@link #lastBatchBackend()} and {@link #recomputedRows()} say
 * which engine normalized which of its rows, for the caller to count.
 *
 * <p>When OpenCL fails on a batch, the batch is left untouched by it (the OpenCL engine writes
 * only after a successful run). If OpenCL is required the failure is thrown; otherwise the
 * listener hears why, the OpenCL engine is released, and this batch and every later one are
 * computed by the Java engine: no row is lost or computed twice into the output.
 */
public final class RoutedLayerNorm implements LayerNormEngine {

    private final JavaLayerNorm java = new JavaLayerNorm();
    private final boolean openClRequired;
    private final BackendListener listener;
    private OpenClLayerNorm openCl;
    private String lastBackend = JavaLayerNorm.NAME;
    /** Under auto with calibration: the shapes of batches are measured on both engines first. */
    private final boolean calibrate;
    /** Why the latest batch went where it went when auto chose by measurement, else null. */
    private String lastReason;
    /** The latest batch's rows that the Java engine recomputed after a device fault: indices, how many. */
    private int[] recomputed = new int[0];
    private int recomputedCount;

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

    /**
     * Which backend normalized the latest batch, as metrics and the job's summary name it:
     * {@code "java"}, or {@code "opencl: "} and the device. Rows listed in {@link #recomputedRows()}
     * are the Java engine's.
     */
    public String lastBatchBackend() {
        return lastBackend;
    }

    /**
     * Why the latest batch went to {@link #lastBatchBackend()} when backend {@code auto} chose it by
     * measurement ("measured faster than the device for float rows of 256"), else {@code null}.
     */
    public String lastBatchReason() {
        return lastReason;
    }

    /** How many rows of the latest batch the Java engine recomputed after a device fault (usually 0). */
    public int recomputedRows() {
        return recomputedCount;
    }

    /** The index in the latest batch of its {@code i}-th recomputed row, in increasing order. */
    public int recomputedRow(int i) {
        if (i < 0 || i >= recomputedCount) {
            throw new IndexOutOfBoundsException("recomputed row " + i + " of " + recomputedCount);
        }
        return recomputed[i];
    }

    @Override
    public void normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        route(engine -> engine.normalize(in, out, layout, spec, stats),
                () -> java.normalize(in, new double[out.length], layout, spec, trialStatistics(stats)),
                layout, "double");
    }

    @Override
    public void normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        route(engine -> engine.normalize(in, out, layout, spec, stats),
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
     * Java engine goes there. Otherwise as {@link #route(Consumer, int)}.
     */
    private void route(Consumer<LayerNormEngine> batch, Runnable javaTrial, BatchLayout layout, String type) {
        lastReason = null;
        if (openCl == null || !calibrate || layout.rowCount() == 0) {
            route(batch, layout.rowCount());
            return;
        }
        String shape = type + " rows of " + layout.maxRowLength();
        String device = openCl.device();
        AutoCalibration.Decision decision = AutoCalibration.decided(device, shape);
        if (decision != null) {
            if (decision.java) {
                recomputedCount = 0;
                batch.accept(java);
                lastBackend = JavaLayerNorm.NAME;
            } else {
                route(batch, layout.rowCount());
            }
            lastReason = lastBackend.equals(JavaLayerNorm.NAME) == decision.java ? decision.reason() : null;
            return;
        }
        long values = (long) layout.end() - layout.start(0);
        long start = System.nanoTime();
        javaTrial.run();
        double javaNanos = System.nanoTime() - start;
        start = System.nanoTime();
        route(batch, layout.rowCount());
        double deviceNanos = System.nanoTime() - start;
        if (openCl != null && lastBackend.startsWith(OpenClLayerNorm.NAME)) {
            decision = AutoCalibration.record(device, shape, deviceNanos / values, javaNanos / values);
            if (decision != null) {
                listener.calibrated(decision.java ? JavaLayerNorm.NAME : OpenClLayerNorm.NAME, device, decision.figures());
            }
        }
    }

    /**
     * Runs one batch on OpenCL if there is an engine for it, else (or when OpenCL fails) on Java.
     * Rows the device got wrong (non-finite output of finite input) were recomputed by the Java
     * engine and count as Java's; when OpenCL is required they fail the batch instead.
     */
    private void route(Consumer<LayerNormEngine> batch, int rows) {
        recomputedCount = 0;
        if (openCl != null) {
            try {
                batch.accept(openCl);
                int faulty = openCl.faultyRowsInLastBatch();
                if (faulty > 0) {
                    OpenClFailure fault = new OpenClFailure(OpenClFailure.Stage.OUTPUT, openCl.device()
                            + " wrote NaN or infinite values for rows whose input is finite (" + faulty + " of " + rows
                            + " in a batch)");
                    if (openClRequired) {
                        throw fault;
                    }
                    listener.recomputed(fault.stage(), openCl.device());
                    if (recomputed.length < faulty) {
                        recomputed = new int[Math.max(faulty, 2 * recomputed.length)];
                    }
                    for (int i = 0; i < faulty; i++) {
                        recomputed[i] = openCl.faultyRow(i);
                    }
                    recomputedCount = faulty;
                }
                lastBackend = OpenClLayerNorm.NAME + ": " + openCl.device();
                return;
            } catch (OpenClFailure e) {
                abandonOpenCl(e);
            }
        }
        batch.accept(java);
        lastBackend = JavaLayerNorm.NAME;
    }

    private void abandonOpenCl(OpenClFailure failure) {
        OpenClLayerNorm failed = openCl;
        openCl = null;
        failed.close();
        if (openClRequired) {
            throw failure;
        }
        listener.fellBack(failure);
    }

    @Override
    public void close() {
        if (openCl != null) {
            OpenClEnginePool.giveBack(openCl);
            openCl = null;
        }
    }
}
