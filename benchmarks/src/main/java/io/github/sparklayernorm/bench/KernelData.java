package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.kernels.BatchLayout;

/**
 * The kernel benchmarks' data: {@value #ROWS} rows of {@code d} values, as float or double, with an
 * output array of the same size, cut into batches of {@code batchRows} rows as the Spark
 * transformer cuts a partition (the benchmarks' {@code batch} parameter, default
 * 4096, the transformer's default batchSize).
 */
final class KernelData {

    static final int ROWS = 100_000;

    final float[] floatIn;
    final float[] floatOut;
    final double[] doubleIn;
    final double[] doubleOut;
    final BatchLayout[] batches;

    KernelData(int d, String type, int batchRows) {
        long n = (long) ROWS * d;
        boolean isFloat = type.equals("float");
        floatIn = isFloat ? new float[(int) n] : null;
        floatOut = isFloat ? new float[(int) n] : null;
        doubleIn = isFloat ? null : new double[(int) n];
        doubleOut = isFloat ? null : new double[(int) n];
        // Values around 100 with unit spread (an offset, as real activations have), from a cheap
        // generator: filling gigabytes with Random.nextGaussian would take longer than measuring.
        long state = 0x9E3779B97F4A7C15L ^ d;
        for (int i = 0; i < n; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            double v = 100.0 + ((state >>> 11) * 0x1.0p-53 - 0.5) * 3.5;
            if (isFloat) {
                floatIn[i] = (float) v;
            } else {
                doubleIn[i] = v;
            }
        }
        int batchCount = (ROWS + batchRows - 1) / batchRows;
        batches = new BatchLayout[batchCount];
        for (int b = 0; b < batchCount; b++) {
            int rows = Math.min(batchRows, ROWS - b * batchRows);
            int[] offsets = new int[rows + 1];
            for (int r = 0; r <= rows; r++) {
                offsets[r] = (b * batchRows + r) * d;
            }
            batches[b] = BatchLayout.ofOffsets(offsets, rows);
        }
    }

    /** {@code System.arraycopy} of the input into the output, batch by batch: the benchmarks' baseline. */
    void copy() {
        for (BatchLayout batch : batches) {
            int from = batch.start(0);
            int length = batch.end() - from;
            if (floatIn != null) {
                System.arraycopy(floatIn, from, floatOut, from, length);
            } else {
                System.arraycopy(doubleIn, from, doubleOut, from, length);
            }
        }
    }

    /** Bytes read plus bytes written by one pass over the data. */
    static double bytesMoved(int d, String type) {
        return 2.0 * ROWS * d * (type.equals("float") ? Float.BYTES : Double.BYTES);
    }
}
