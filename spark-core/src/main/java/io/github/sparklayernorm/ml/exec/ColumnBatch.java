package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.ml.plan.ColumnType;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;

/**
 * The cells of one column for one batch of rows, back to back in one flat array (double, or float
 * for {@code array<float>}), as the engine takes them. Buffers grow to the largest batch seen and
 * are reused: no allocation per row on the way in.
 *
 * <p>A cell is checked while it is copied; an invalid one is not appended, and {@link #append}
 * says what is wrong with it.
 */
final class ColumnBatch {

    private final ColumnType type;
    private final int requiredLength;
    /** Values per group (each normalized on its own), or 0 for whole cells. */
    private final int groupSize;
    /** Per engine row (cell, or group): its statistics, when asked for. */
    private final RowStatistics statistics;
    private double[] doubles = new double[0];
    private float[] floats = new float[0];
    private int[] offsets = new int[65];
    private int rows;

    ColumnBatch(ColumnType type, int requiredLength, int groupSize, boolean withStatistics) {
        this.type = type;
        this.requiredLength = requiredLength;
        this.groupSize = groupSize;
        this.statistics = withStatistics ? new RowStatistics() : null;
    }

    int rowCount() {
        return rows;
    }

    int valueCount() {
        return offsets[rows];
    }

    void clear() {
        rows = 0;
    }

    /** Drops the last appended cell. */
    void removeLast() {
        rows--;
    }

    /**
     * Appends {@code row[field]} as the next cell, or returns what is wrong with it ("is null",
     * "holds NaN at index 3", ...) and appends nothing.
     */
    String append(Row row, int field) {
        if (row.isNullAt(field)) {
            return "is null";
        }
        switch (type) {
            case VECTOR:
                return appendVector(row.getAs(field));
            default:
                return appendArray(row.getList(field));
        }
    }

    private String checkLength(int length) {
        if (length == 0) {
            return "is empty";
        }
        if (groupSize > 0 && length % groupSize != 0) {
            return "has " + length + " values, not a multiple of groupSize " + groupSize;
        }
        if (groupSize == 0 && requiredLength >= 0 && length != requiredLength) {
            return "has " + length + " values, but scale/shift have " + requiredLength;
        }
        return null;
    }

    private static String nonFinite(int index, double value) {
        return "holds " + value + " at index " + index;
    }

    private String appendVector(Vector vector) {
        int n = vector.size();
        String problem = checkLength(n);
        if (problem != null) {
            return problem;
        }
        int start = reserve(n);
        if (vector instanceof DenseVector) {
            double[] values = ((DenseVector) vector).values();
            for (int i = 0; i < n; i++) {
                double v = values[i];
                if (!Double.isFinite(v)) {
                    return nonFinite(i, v);
                }
                doubles[start + i] = v;
            }
        } else {
            // The implicit zeros of a sparse vector are values of the row like any other.
            SparseVector sparse = (SparseVector) vector;
            Arrays.fill(doubles, start, start + n, 0.0);
            int[] indices = sparse.indices();
            double[] values = sparse.values();
            for (int k = 0; k < values.length; k++) {
                if (!Double.isFinite(values[k])) {
                    return nonFinite(indices[k], values[k]);
                }
                doubles[start + indices[k]] = values[k];
            }
        }
        return commit(n);
    }

    /** An {@code array<double>} or {@code array<float>} cell: boxed elements, any of which may be null. */
    private String appendArray(List<Object> values) {
        int n = values.size();
        String problem = checkLength(n);
        if (problem != null) {
            return problem;
        }
        int start = reserve(n);
        boolean toFloats = type == ColumnType.FLOAT_ARRAY;
        for (int i = 0; i < n; i++) {
            Object boxed = values.get(i);
            if (boxed == null) {
                return "holds a null at index " + i;
            }
            double v = ((Number) boxed).doubleValue();
            if (!Double.isFinite(v)) {
                return nonFinite(i, v);
            }
            if (toFloats) {
                floats[start + i] = (float) v; // exact: the value was a float
            } else {
                doubles[start + i] = v;
            }
        }
        return commit(n);
    }

    /** Makes room for n more values and returns where they start. Nothing is committed yet. */
    private int reserve(int n) {
        int start = offsets[rows];
        int needed = start + n;
        if (type == ColumnType.FLOAT_ARRAY) {
            if (floats.length < needed) {
                floats = Arrays.copyOf(floats, Math.max(needed, 2 * floats.length));
            }
        } else if (doubles.length < needed) {
            doubles = Arrays.copyOf(doubles, Math.max(needed, 2 * doubles.length));
        }
        if (offsets.length < rows + 2) {
            offsets = Arrays.copyOf(offsets, 2 * offsets.length);
        }
        return start;
    }

    private String commit(int n) {
        offsets[rows + 1] = offsets[rows] + n;
        rows++;
        return null;
    }

    /** Normalizes every cell of the batch in place. */
    void normalize(LayerNormEngine engine, LayerNormSpec spec) {
        if (rows == 0) {
            return;
        }
        // Cells are back to back from 0 and each a multiple of the group size, so the groups of
        // the whole batch are simply consecutive blocks of groupSize values.
        BatchLayout layout = groupSize > 0
                ? BatchLayout.uniform(valueCount() / groupSize, groupSize)
                : BatchLayout.ofOffsets(offsets, rows);
        if (type == ColumnType.FLOAT_ARRAY) {
            engine.normalize(floats, floats, layout, spec, statistics);
        } else {
            engine.normalize(doubles, doubles, layout, spec, statistics);
        }
    }

    /** Cell {@code index}'s mean (a Double, or a double[] per group); needs statistics. */
    Object mean(int index) {
        return statistic(index, true);
    }

    /** Cell {@code index}'s inverse standard deviation (a Double, or a double[] per group); needs statistics. */
    Object invStdDev(int index) {
        return statistic(index, false);
    }

    private Object statistic(int index, boolean mean) {
        if (groupSize == 0) {
            return mean ? statistics.mean(index) : statistics.invStdDev(index);
        }
        int first = offsets[index] / groupSize;
        double[] values = new double[(offsets[index + 1] - offsets[index]) / groupSize];
        for (int g = 0; g < values.length; g++) {
            values[g] = mean ? statistics.mean(first + g) : statistics.invStdDev(first + g);
        }
        return values;
    }

    /** Cell {@code index} of the batch as the output column's value: a dense vector or an array. */
    Object output(int index) {
        int from = offsets[index];
        int to = offsets[index + 1];
        switch (type) {
            case VECTOR:
                return Vectors.dense(Arrays.copyOfRange(doubles, from, to));
            case DOUBLE_ARRAY:
                return Arrays.copyOfRange(doubles, from, to);
            default:
                return Arrays.copyOfRange(floats, from, to);
        }
    }
}
