package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * Spark 3.5's side of the two internal calls the transformer makes: a DataFrame's rows as Catalyst
 * sees them, and a DataFrame made from such rows. The Spark 4 build compiles its own version of
 * this class (there, both live on the "classic" session and dataset).
 */
public final class SparkInternals {

    private SparkInternals() {
    }

    /** The rows of {@code frame} as internal rows, in its schema's order (usually UnsafeRows, reused). */
    public static RDD<InternalRow> internalRows(Dataset<Row> frame) {
        return frame.queryExecution().toRdd();
    }

    /** A DataFrame over internal rows of {@code schema}; each row is copied (projected) as it is read. */
    public static Dataset<Row> dataFrame(SparkSession session, RDD<InternalRow> rows, StructType schema) {
        return session.internalCreateDataFrame(rows, schema, false);
    }
}
