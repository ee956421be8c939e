package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.Arrays;

/**
 * The host's side of a device batch: the kernel's rows are copied out only after they are checked,
 * and the Java engine does the rows the kernel left or got wrong, so that the caller's arrays hold
 * the contract's answer for every row whatever the device did.
 */
final class DeviceOutput {

    private final JavaLayerNorm exact = new JavaLayerNorm();

    /**
     * Copies the kernel's rows to {@code out}; rows it left (out of its safe range, or not finite)
     * are done by the exact Java engine instead, from {@code in}, which for those rows is intact
     * even when {@code out} is {@code in}.
     *
     * <p>A row the kernel did is checked on the host too: an output that is not finite (flagged by
     * the kernel, or found here) is a device fault unless the Java engine's output is not finite
     * either (a scale so large that the row overflows). Such rows are recomputed by the Java
     * engine and listed in the batch's report.
     *
     * @param kernelOut the kernel's output, the batch's span from index 0
     * @param status per row: 0 done, 1 left to the host (out of the safe range), 2 flagged not finite
     * @param injectNaN a fault injected for tests: the device's first value of each row is NaN
     * @param report what a batch without faults reports
     */
    BatchReport deliver(Object kernelOut, int[] status, double[] meanOut, double[] invStdOut, boolean injectNaN,
                        Object in, Object out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats,
                        BatchReport report) {
        if (stats != null) {
            stats.ensure(layout.rowCount());
        }
        int faultyRows = 0;
        int[] faultyRowIndices = null;
        RowStatistics one = stats == null ? null : new RowStatistics().ensure(1);
        int base = layout.start(0);
        for (int r = 0; r < layout.rowCount(); r++) {
            int start = layout.start(r);
            int length = layout.length(r);
            if (injectNaN && length > 0) {
                if (kernelOut instanceof double[]) {
                    ((double[]) kernelOut)[start - base] = Double.NaN;
                } else {
                    ((float[]) kernelOut)[start - base] = Float.NaN;
                }
            }
            boolean suspect = status[r] == 2
                    || (status[r] == 0 && !allFinite(kernelOut, start - base, length));
            if (status[r] == 0 && !suspect) {
                System.arraycopy(kernelOut, start - base, out, start, length);
                if (stats != null) {
                    stats.set(r, meanOut[r], invStdOut[r]);
                }
                continue;
            }
            BatchLayout row = BatchLayout.ofOffsets(new int[] {start, start + length}, 1);
            if (in instanceof double[]) {
                exact.normalize((double[]) in, (double[]) out, row, spec, one);
            } else {
                exact.normalize((float[]) in, (float[]) out, row, spec, one);
            }
            if (suspect && allFinite(out, start, length)) {
                if (faultyRowIndices == null || faultyRows == faultyRowIndices.length) {
                    faultyRowIndices = faultyRowIndices == null ? new int[8] : Arrays.copyOf(faultyRowIndices, 2 * faultyRows);
                }
                faultyRowIndices[faultyRows++] = r;
            }
            if (stats != null) {
                stats.set(r, one.mean(0), one.invStdDev(0));
            }
        }
        return faultyRows == 0 ? report : report.recomputed(faultyRowIndices, faultyRows);
    }

    private static boolean allFinite(Object values, int from, int length) {
        if (values instanceof double[]) {
            double[] d = (double[]) values;
            for (int i = from; i < from + length; i++) {
                if (!Double.isFinite(d[i])) {
                    return false;
                }
            }
        } else {
            float[] f = (float[]) values;
            for (int i = from; i < from + length; i++) {
                if (!Float.isFinite(f[i])) {
                    return false;
                }
            }
        }
        return true;
    }
}
