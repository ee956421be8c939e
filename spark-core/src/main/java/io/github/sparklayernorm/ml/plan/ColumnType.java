package io.github.sparklayernorm.ml.plan;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The column types a normalizer reads; the output has the same kind (vectors come out dense). */
public enum ColumnType {
    /** {@code org.apache.spark.ml.linalg.Vector}, dense or sparse. */
    VECTOR,
    /** {@code array<double>}. */
    DOUBLE_ARRAY,
    /** {@code array<float>}: computed in double, rounded once to float. */
    FLOAT_ARRAY;

    /** What users are told is supported. */
    public static final String SUPPORTED = "vector (org.apache.spark.ml.linalg), array<double> or array<float>";

    /** The kind of a column of this Spark type, or {@code null} if it cannot be normalized. */
    public static ColumnType of(DataType type) {
        if (type instanceof VectorUDT) {
            return VECTOR;
        }
        if (type instanceof ArrayType) {
            DataType element = ((ArrayType) type).elementType();
            if (DataTypes.DoubleType.equals(element)) {
                return DOUBLE_ARRAY;
            }
            if (DataTypes.FloatType.equals(element)) {
                return FLOAT_ARRAY;
            }
        }
        return null;
    }

    /** The output column's type: elements are never null. */
    public DataType outputType() {
        switch (this) {
            case VECTOR:
                return SQLDataTypes.VectorType();
            case DOUBLE_ARRAY:
                return DataTypes.createArrayType(DataTypes.DoubleType, false);
            default:
                return DataTypes.createArrayType(DataTypes.FloatType, false);
        }
    }
}
