package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import io.github.sparklayernorm.ml.exec.internal.CatalystArrays;
import io.github.sparklayernorm.ml.plan.ColumnType;
import io.github.sparklayernorm.ml.plan.RowLength;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * The cells of one column for one batch of rows, back to back in one flat array (double, or float
 * for {@code array<float>}), as the engine takes them. Cells are read from Spark's internal rows
 * (a vector is a struct of type, size, indices and values) and copied in one block; results go
 * back the same way. Buffers grow to the largest batch seen and are reused: no allocation per row.
 *
 * <p>A cell's shape and nulls are checked while it is copied (an invalid one is not appended, and
 * {@link #append} says what is wrong with it); NaN and infinities are found after normalizing,
 * by {@link #madeNaN}.
 */
final class ColumnBatch {

    private final ColumnType type;
    private final RowLength rowLength;
    /** Values per group (each normalized on its own), or 0 for whole cells. */
    private final int groupSize;
    /** Per engine row (cell, or group): its statistics, when asked for. */
    private final RowStatistics statistics;
    private double[] doubles = new double[0];
    private float[] floats = new float[0];
    private int[] offsets = new int[65];
    private int rows;
    private final CatalystArrays.View view = new CatalystArrays.View();
    /** VectorUDT's struct for a dense vector: type 1, no size, no indices, the values. */
    private final GenericInternalRow denseVector = new GenericInternalRow(new Object[] {(byte) 1, null, null, null});
    /** The latest uniform layout (groups, or one cell), reused while batches keep its shape. */
    private BatchLayout uniform;

    ColumnBatch(ColumnType type, RowLength rowLength, boolean withStatistics) {
        this.type = type;
        this.rowLength = rowLength;
        this.groupSize = rowLength.groupSize();
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
     * "has 3 values but scale/shift have 4", ...) and appends nothing.
     */
    InvalidCell append(InternalRow row, int field) {
        if (row.isNullAt(field)) {
            return InvalidCell.NULL;
        }
        return appendCell(type == ColumnType.VECTOR ? row.getStruct(field, 4) : row.getArray(field));
    }

    /**
     * Appends a cell's Catalyst value (a vector's struct, or an array; {@code null} for a null
     * cell), as {@link #append} does.
     */
    InvalidCell appendCell(Object cell) {
        if (cell == null) {
            return InvalidCell.NULL;
        }
        if (type == ColumnType.VECTOR) {
            // VectorUDT's layout: type (0 sparse, 1 dense), size (sparse only), indices, values.
            InternalRow vector = (InternalRow) cell;
            if (vector.getByte(0) == 1) {
                return vector.isNullAt(3) ? new InvalidCell(InvalidReason.MALFORMED, "is a dense vector without values")
                        : appendArray(vector.getArray(3));
            }
            return appendSparse(vector);
        }
        return appendArray((ArrayData) cell);
    }

    private InvalidCell checkLength(int length) {
        String problem = rowLength.problem(length);
        return problem == null ? null : new InvalidCell(InvalidReason.LENGTH, problem);
    }

    /**
     * Whether normalizing cell {@code index} gave NaN, which happens exactly when it (or one of its
     * groups) holds NaN or an infinity: appended cells are not checked value by value.
     */
    boolean madeNaN(int index) {
        int step = groupSize > 0 ? groupSize : offsets[index + 1] - offsets[index];
        for (int at = offsets[index]; at < offsets[index + 1]; at += step) {
            if (type == ColumnType.FLOAT_ARRAY ? Float.isNaN(floats[at]) : Double.isNaN(doubles[at])) {
                return true;
            }
        }
        return false;
    }

    /** Whether cell {@code index}, not yet normalized, holds NaN or an infinity. */
    boolean holdsNonFinite(int index) {
        for (int at = offsets[index]; at < offsets[index + 1]; at++) {
            if (type == ColumnType.FLOAT_ARRAY ? !Float.isFinite(floats[at]) : !Double.isFinite(doubles[at])) {
                return true;
            }
        }
        return false;
    }

    /** A dense vector's values, an {@code array<double>} or an {@code array<float>}. */
    private InvalidCell appendArray(ArrayData values) {
        int n = values.numElements();
        InvalidCell invalid = checkLength(n);
        if (invalid != null) {
            return invalid;
        }
        int start = reserve(n);
        int firstNull = type == ColumnType.FLOAT_ARRAY ? CatalystArrays.copyFloats(values, floats, start)
                : CatalystArrays.copyDoubles(values, doubles, start);
        if (firstNull >= 0) {
            return new InvalidCell(InvalidReason.NULL, "holds a null at index " + firstNull);
        }
        commit(n);
        return null;
    }

    /**
     * The implicit zeros of a sparse vector are values of the row like any other. Its struct comes
     * from outside (any data source can hold one), so it is checked before a value is written: a
     * size that is negative, indices and values of different counts, or an index out of order or
     * out of range would otherwise write into a neighbouring cell.
     */
    private InvalidCell appendSparse(InternalRow vector) {
        if (vector.isNullAt(1) || vector.isNullAt(2) || vector.isNullAt(3)) {
            return new InvalidCell(InvalidReason.MALFORMED, "is a sparse vector without a size, indices or values");
        }
        int n = vector.getInt(1);
        ArrayData indices = vector.getArray(2);
        ArrayData values = vector.getArray(3);
        if (n < 0) {
            return new InvalidCell(InvalidReason.MALFORMED, "is a sparse vector of negative size " + n);
        }
        if (indices.numElements() != values.numElements()) {
            return new InvalidCell(InvalidReason.MALFORMED, "is a sparse vector with " + indices.numElements()
                    + " indices but " + values.numElements() + " values");
        }
        InvalidCell invalid = checkLength(n);
        if (invalid != null) {
            return invalid;
        }
        int previous = -1;
        for (int k = 0; k < indices.numElements(); k++) {
            int index = indices.isNullAt(k) ? -1 : indices.getInt(k);
            if (index <= previous || index >= n) {
                return new InvalidCell(InvalidReason.MALFORMED, "is a sparse vector of size " + n + " whose index "
                        + (indices.isNullAt(k) ? "null" : String.valueOf(index)) + " (at position " + k + ") is "
                        + (index >= n ? "out of range" : "not above the one before it"));
            }
            if (values.isNullAt(k)) {
                return new InvalidCell(InvalidReason.NULL, "holds a null at index " + index);
            }
            previous = index;
        }
        int start = reserve(n);
        Arrays.fill(doubles, start, start + n, 0.0);
        for (int k = 0; k < values.numElements(); k++) {
            doubles[start + indices.getInt(k)] = values.getDouble(k);
        }
        commit(n);
        return null;
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

    private void commit(int n) {
        offsets[rows + 1] = offsets[rows] + n;
        rows++;
    }

    /**
     * Normalizes every cell of the batch in place on {@code engine}.
     *
     * @return the engine's report on the batch (see {@link #recomputedCells}), or {@code null} when
     *     the batch is empty
     */
    BatchReport normalize(LayerNormEngine engine, LayerNormSpec spec) {
        if (rows == 0) {
            return null;
        }
        BatchLayout layout = layout();
        if (type == ColumnType.FLOAT_ARRAY) {
            return engine.normalize(floats, floats, layout, spec, statistics);
        }
        return engine.normalize(doubles, doubles, layout, spec, statistics);
    }

    /**
     * The batch's layout for the engine. Cells are back to back from 0 and each a multiple of the
     * group size, so the groups of the whole batch are simply consecutive blocks of groupSize
     * values. A uniform layout is kept for the next batch of the same shape: the expression path
     * normalizes batches of one cell, mostly of one length.
     */
    private BatchLayout layout() {
        int values = valueCount();
        if (groupSize > 0 || rows == 1) {
            int rowLength = groupSize > 0 ? groupSize : values;
            int engineRows = values / rowLength;
            if (uniform == null || uniform.rowCount() != engineRows || uniform.maxRowLength() != rowLength) {
                uniform = BatchLayout.uniform(engineRows, rowLength);
            }
            return uniform;
        }
        return BatchLayout.ofOffsets(offsets, rows);
    }

    /**
     * Which cells of the batch the Java engine recomputed a row of (a whole cell, or one of its
     * groups) after a device fault, as {@code report} lists them: they count as the Java engine's.
     * {@code null} when it recomputed none.
     */
    boolean[] recomputedCells(BatchReport report) {
        if (report.recomputedRows() == 0) {
            return null;
        }
        boolean[] recomputed = new boolean[rows];
        for (int i = 0; i < report.recomputedRows(); i++) {
            int row = report.recomputedRow(i);
            recomputed[groupSize == 0 ? row : cellHolding(row * groupSize)] = true;
        }
        return recomputed;
    }

    /** The cell whose values include index {@code value} of the batch. */
    private int cellHolding(int value) {
        int at = Arrays.binarySearch(offsets, 0, rows + 1, value);
        if (at >= 0) {
            // Offsets may repeat only for empty cells, which are never appended: this is the cell's start.
            return at;
        }
        return -at - 2;
    }

    /** Cell {@code index}'s mean (a Double, or an array per group); needs statistics. */
    Object mean(int index) {
        return statistic(index, true);
    }

    /** Cell {@code index}'s inverse standard deviation (a Double, or an array per group); needs statistics. */
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
        return UnsafeArrayData.fromPrimitiveArray(values);
    }

    /**
     * Cell {@code index} of the batch as a Catalyst value of its own, not reused: what an
     * expression returns, since Spark's expressions may hold their inputs' values (an aggregate's
     * buffer, say).
     */
    Object outputCopy(int index) {
        int from = offsets[index];
        int n = offsets[index + 1] - from;
        switch (type) {
            case VECTOR:
                return new GenericInternalRow(new Object[] {(byte) 1, null, null, CatalystArrays.copyOf(doubles, from, n)});
            case DOUBLE_ARRAY:
                return CatalystArrays.copyOf(doubles, from, n);
            default:
                return CatalystArrays.copyOf(floats, from, n);
        }
    }

    /**
     * Cell {@code index} of the batch as the output column's Catalyst value: a dense vector's
     * struct or an array. The value is reused by the next call: Spark copies it first.
     */
    Object output(int index) {
        int from = offsets[index];
        int n = offsets[index + 1] - from;
        switch (type) {
            case VECTOR:
                denseVector.update(3, view.of(doubles, from, n));
                return denseVector;
            case DOUBLE_ARRAY:
                return view.of(doubles, from, n);
            default:
                return view.of(floats, from, n);
        }
    }
}
