package io.github.sparklayernorm.kernels;

/**
 * Per-row statistics an engine can return beside the output, as ONNX's LayerNormalization returns
 * its optional Mean and InvStdDev: {@code mean[r]} (0 for RMS normalization) and
 * {@code invStdDev[r] = 1 / sqrt(var + epsilon)} (for RMS: {@code 1 / sqrt(mean(x^2) + epsilon)}),
 * in double, for row {@code r} of the batch. A row of NaN/infinity gets NaN.
 */
public final class RowStatistics {

    private double[] mean;
    private double[] invStdDev;

    /** Room for {@code rows} rows; reuses its arrays when they are large enough. */
    public RowStatistics ensure(int rows) {
        if (mean == null || mean.length < rows) {
            mean = new double[rows];
            invStdDev = new double[rows];
        }
        return this;
    }

    public double mean(int row) {
        return mean[row];
    }

    public double invStdDev(int row) {
        return invStdDev[row];
    }

    public void set(int row, double meanValue, double invStdDevValue) {
        mean[row] = meanValue;
        invStdDev[row] = invStdDevValue;
    }
}
