package io.github.sparklayernorm.kernels;

import java.util.Arrays;

/**
 * Which engine normalized one batch, as a normalization returns it: the backend that did the batch,
 * why it was chosen when that was decided by measurement, and the rows that another engine
 * recomputed. Immutable: a caller counts from it, and it stays true after the next batch.
 *
 * <p>The backend is named as metrics and the job's summary name it: {@code "java"}, or
 * {@code "opencl: "} and the device. Recomputed rows are the Java engine's, not the backend's.
 */
public final class BatchReport {

    private final String backend;
    private final String reason;
    private final int[] recomputed;

    private BatchReport(String backend, String reason, int[] recomputed) {
        this.backend = backend;
        this.reason = reason;
        this.recomputed = recomputed;
    }

    /** A batch that {@code backend} normalized, every row of it. */
    public static BatchReport of(String backend) {
        return new BatchReport(backend, null, new int[0]);
    }

    /**
     * The same batch, of which the Java engine recomputed rows {@code rows[0..count)} (batch
     * indices, in increasing order) after the backend got them wrong.
     */
    public BatchReport recomputed(int[] rows, int count) {
        for (int i = 1; i < count; i++) {
            if (rows[i] <= rows[i - 1]) {
                throw new IllegalArgumentException("recomputed rows must increase: " + Arrays.toString(rows));
            }
        }
        return new BatchReport(backend, reason, Arrays.copyOf(rows, count));
    }

    /** The same batch, sent to its backend for {@code why} ("measured faster than the device for ..."). */
    public BatchReport because(String why) {
        return new BatchReport(backend, why, recomputed);
    }

    /** {@code "java"}, or {@code "opencl: "} and the device. */
    public String backend() {
        return backend;
    }

    /** Why the batch went to {@link #backend()} when backend {@code auto} chose it by measurement, else {@code null}. */
    public String reason() {
        return reason;
    }

    /** How many rows of the batch the Java engine recomputed (usually 0). */
    public int recomputedRows() {
        return recomputed.length;
    }

    /** The batch index of the {@code i}-th recomputed row, in increasing order. */
    public int recomputedRow(int i) {
        return recomputed[i];
    }

    @Override
    public String toString() {
        return backend + (reason == null ? "" : " (" + reason + ")")
                + (recomputed.length == 0 ? "" : ", rows recomputed on java: " + Arrays.toString(recomputed));
    }
}
