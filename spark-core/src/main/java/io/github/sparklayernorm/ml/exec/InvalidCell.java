package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.ml.plan.ColumnType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * What is wrong with one input cell: the reason the metrics count, and the words the error message
 * gives after the column's name ("is null", "has 3 values but scale/shift have 4; ...").
 */
final class InvalidCell {

    static final InvalidCell NULL = new InvalidCell(InvalidReason.NULL, "is null");

    final InvalidReason reason;
    final String problem;

    InvalidCell(InvalidReason reason, String problem) {
        this.reason = reason;
        this.problem = problem;
    }

    /** What is wrong with {@code row[field]}, a cell whose normalizing gave NaN ({@code ColumnBatch.madeNaN}): its first value that is not finite. */
    static String nonFinite(InternalRow row, int field, ColumnType type) {
        return nonFinite(type == ColumnType.VECTOR ? row.getStruct(field, 4) : row.getArray(field), type);
    }

    /** As {@link #nonFinite(InternalRow, int, ColumnType)}, for the cell's Catalyst value. */
    static String nonFinite(Object cell, ColumnType type) {
        ArrayData values;
        ArrayData indices = null;
        if (type == ColumnType.VECTOR) {
            InternalRow vector = (InternalRow) cell;
            values = vector.getArray(3);
            indices = vector.getByte(0) == 1 ? null : vector.getArray(2);
        } else {
            values = (ArrayData) cell;
        }
        for (int i = 0; i < values.numElements(); i++) {
            double v = type == ColumnType.FLOAT_ARRAY ? values.getFloat(i) : values.getDouble(i);
            if (!Double.isFinite(v)) {
                return "holds " + (type == ColumnType.FLOAT_ARRAY ? String.valueOf((float) v) : String.valueOf(v))
                        + " at index " + (indices == null ? i : indices.getInt(i));
            }
        }
        throw new IllegalStateException("the engine gave NaN for a finite cell");
    }
}
