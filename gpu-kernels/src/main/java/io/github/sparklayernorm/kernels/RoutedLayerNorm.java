package io.github.sparklayernorm.kernels;

import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import java.util.function.Consumer;

/**
 * The engine a task uses: each batch goes to the OpenCL engine when there is one, else to the
 * Java engine, and every batch is counted for the listener.
 *
 * <p>When OpenCL fails on a batch, the batch is left untouched by it (the OpenCL engine writes
 * only after a successful run). If OpenCL is required the failure is thrown; otherwise the
 * listener hears why, the OpenCL engine is released, and this batch and every later one are
 * computed by the Java engine: no row is lost or computed twice into the output.
 */
final class RoutedLayerNorm implements LayerNormEngine {

    private final CpuLayerNorm java = new CpuLayerNorm();
    private final boolean openClRequired;
    private final BackendListener listener;
    private OpenClLayerNorm openCl;

    RoutedLayerNorm(OpenClLayerNorm openCl, boolean openClRequired, BackendListener listener) {
        this.openCl = openCl;
        this.openClRequired = openClRequired;
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

    /** The device rows go to now: the OpenCL device's description, or "cpu" for the Java engine. */
    String device() {
        return openCl != null ? openCl.device() : "cpu";
    }

    @Override
    public void normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        route(engine -> engine.normalize(in, out, layout, spec, stats), layout.rowCount());
    }

    @Override
    public void normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        route(engine -> engine.normalize(in, out, layout, spec, stats), layout.rowCount());
    }

    /**
     * Runs one batch on OpenCL if there is an engine for it, else (or when OpenCL fails) on Java.
     * Rows the device got wrong (non-finite output of finite input) were recomputed by the Java
     * engine and count as Java's; when OpenCL is required they fail the batch instead.
     */
    private void route(Consumer<LayerNormEngine> batch, int rows) {
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
                    listener.rowsNormalized(java.name(), "cpu", faulty);
                }
                listener.rowsNormalized(openCl.name(), openCl.device(), rows - faulty);
                return;
            } catch (OpenClFailure e) {
                abandonOpenCl(e);
            }
        }
        batch.accept(java);
        listener.rowsNormalized(java.name(), "cpu", rows);
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
