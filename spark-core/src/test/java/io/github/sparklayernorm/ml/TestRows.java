package io.github.sparklayernorm.ml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Small DataFrames for the tests. */
final class TestRows {

    static final DataType VECTOR = SQLDataTypes.VectorType();
    static final DataType DOUBLES = DataTypes.createArrayType(DataTypes.DoubleType, true);
    static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, true);

    static StructField field(String name, DataType type) {
        return new StructField(name, type, true, Metadata.empty());
    }

    /** A frame of (id int, column) rows. */
    static Dataset<Row> frame(StructField column, Object... values) {
        Row[] rows = new Row[values.length];
        for (int i = 0; i < values.length; i++) {
            rows[i] = RowFactory.create(i, values[i]);
        }
        StructType schema = new StructType(new StructField[] {field("id", DataTypes.IntegerType), column});
        return SparkTestSession.get().createDataFrame(Arrays.asList(rows), schema);
    }

    static Dataset<Row> frame(StructType schema, List<Row> rows) {
        return SparkTestSession.get().createDataFrame(rows, schema);
    }

    /** A vector's or an array's values, whichever the cell holds (the Scala Seq API is the same on 2.12 and 2.13). */
    static double[] values(Object cell) {
        if (cell instanceof org.apache.spark.ml.linalg.Vector) {
            return ((org.apache.spark.ml.linalg.Vector) cell).toArray();
        }
        scala.collection.Seq<?> seq = (scala.collection.Seq<?>) cell;
        double[] out = new double[seq.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) seq.apply(i)).doubleValue();
        }
        return out;
    }

    private TestRows() {
    }
}
