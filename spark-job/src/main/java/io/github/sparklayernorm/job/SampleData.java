package io.github.sparklayernorm.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The sample {@code --generate-sample ROWSxD} writes: rows of device readings, a common pattern
 * seen through each row's own gain and offset (offsets up to 5e5, gains over five decades), in
 * an {@code id} column and a vector column {@code features}. Seeded: the same shape gives the
 * same rows.
 */
final class SampleData {

    /** The most values a sample holds: it is built on the driver. */
    static final long MAX_VALUES = 50_000_000L;

    final int rows;
    final int d;

    private SampleData(int rows, int d) {
        this.rows = rows;
        this.d = d;
    }

    /**
     * {@code ROWSxD}, checked: both at least 1, and at most {@link #MAX_VALUES} values in all.
     *
     * @throws IllegalArgumentException saying what the option wants
     */
    static SampleData parse(String shape) {
        String[] parts = shape.toLowerCase(Locale.ROOT).split("x", -1);
        long rows = -1;
        long d = -1;
        if (parts.length == 2) {
            try {
                rows = Long.parseLong(parts[0].trim());
                d = Long.parseLong(parts[1].trim());
            } catch (NumberFormatException e) {
                rows = -1;
            }
        }
        if (rows < 1 || d < 1 || rows > MAX_VALUES / d) {
            throw new IllegalArgumentException("--generate-sample wants ROWSxD with ROWS and D at least 1 and at most "
                    + MAX_VALUES + " values in all, such as 10000x16; got '" + shape + "'");
        }
        return new SampleData((int) rows, (int) d);
    }

    /** The sample as a DataFrame of {@code id} and {@code features}. */
    Dataset<Row> frame(SparkSession spark) {
        SplittableRandom random = new SplittableRandom(42);
        List<Row> data = new ArrayList<>(rows);
        for (int id = 0; id < rows; id++) {
            double gain = Math.pow(10, -2 + 5 * random.nextDouble());
            double offset = 1e6 * (random.nextDouble() - 0.5);
            double[] values = new double[d];
            for (int j = 0; j < d; j++) {
                values[j] = offset + gain * (Math.sin(j) + 0.05 * (random.nextDouble() - 0.5));
            }
            data.add(RowFactory.create((long) id, Vectors.dense(values)));
        }
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});
        return spark.createDataFrame(data, schema);
    }
}
