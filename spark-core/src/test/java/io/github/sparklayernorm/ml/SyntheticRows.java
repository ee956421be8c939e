package io.github.sparklayernorm.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;

/**
 * Synthetic rows for benchmarks and memory probes, made on the fly from a row id: cheap to make
 * (a linear congruential generator, not {@code nextGaussian}), different per row, the same in
 * every run. Values lie around 10 with unit spread: an offset, as real activations have.
 */
public final class SyntheticRows {

    private SyntheticRows() {
    }

    /** The {@code i}-th of the {@code d} values of row {@code id}, as {@link #vectorOf} makes them. */
    public static double[] values(long id, int d) {
        double[] v = new double[d];
        long state = id * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < d; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            v[i] = 10 + ((state >>> 11) * 0x1.0p-53 - 0.5) * 3.5;
        }
        return v;
    }

    /** A dense vector column of {@code d} values made from the long column {@code id}. */
    public static Column vectorOf(SparkSession spark, Column id, int d) {
        String name = "syntheticVector" + d;
        UDF1<Long, Vector> vector = row -> Vectors.dense(values(row, d));
        spark.udf().register(name, vector, SQLDataTypes.VectorType());
        return functions.callUDF(name, id);
    }
}
