package io.github.sparklayernorm.job;

import java.util.Iterator;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The sample {@code --generate-sample ROWSxD} writes: rows of device readings, a common pattern
 * seen through each row's own gain and offset (offsets up to 5e5, gains over five decades), in
 * an {@code id} column and a vector column {@code features}.
 *
 * <p>Generated where it is written: each executor makes its partitions' rows from
 * {@code spark.range}, each row from a generator seeded by its id, so the driver holds none of it
 * (no task carries data, whatever the size) and the same shape gives the same rows on any cluster
 * and any number of partitions.
 */
final class SampleData {

    /** The most values a sample holds: ten billion, 80 GB of doubles. */
    static final long MAX_VALUES = 10_000_000_000L;
    /** The longest row: a vector's values are one Java array. */
    static final long MAX_D = 1 << 24;
    /** Values per partition, about 32 MB of doubles: files of a useful size, tasks of a few seconds. */
    private static final long VALUES_PER_PARTITION = 1L << 22;
    private static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.LongType, false),
        DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});

    final long rows;
    final int d;

    private SampleData(long rows, int d) {
        this.rows = rows;
        this.d = d;
    }

    /**
     * {@code ROWSxD}, checked: both at least 1, D at most {@link #MAX_D}, and at most
     * {@link #MAX_VALUES} values in all.
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
        if (rows < 1 || d < 1 || d > MAX_D || rows > MAX_VALUES / d) {
            throw new IllegalArgumentException("--generate-sample wants ROWSxD with ROWS and D at least 1, D at most "
                    + MAX_D + " and at most " + MAX_VALUES + " values in all, such as 10000x16; got '" + shape + "'");
        }
        return new SampleData(rows, (int) d);
    }

    /** The sample as a DataFrame of {@code id} and {@code features}, made on the executors. */
    Dataset<Row> frame(SparkSession spark) {
        long values = rows * d;
        int partitions = (int) Math.max(spark.sparkContext().defaultParallelism(),
                Math.min(100_000, (values + VALUES_PER_PARTITION - 1) / VALUES_PER_PARTITION));
        partitions = (int) Math.min(partitions, rows);
        return spark.range(0, rows, 1, partitions).mapPartitions(new Readings(d), Encoders.row(SCHEMA));
    }

    /** What each partition runs: its ids, each into a row of readings. */
    private static final class Readings implements MapPartitionsFunction<Long, Row> {
        private static final long serialVersionUID = 1L;
        private final int d;

        Readings(int d) {
            this.d = d;
        }

        @Override
        public Iterator<Row> call(Iterator<Long> ids) {
            return new Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return ids.hasNext();
                }

                @Override
                public Row next() {
                    long id = ids.next();
                    return RowFactory.create(id, Vectors.dense(reading(id, d)));
                }
            };
        }
    }

    /** Row {@code id}'s values: its own generator, seeded by the id, so no row depends on another. */
    static double[] reading(long id, int d) {
        SplittableRandom random = new SplittableRandom(0x5DEECE66DL * (id + 1) ^ 42);
        double gain = Math.pow(10, -2 + 5 * random.nextDouble());
        double offset = 1e6 * (random.nextDouble() - 0.5);
        double[] values = new double[d];
        for (int j = 0; j < d; j++) {
            values[j] = offset + gain * (Math.sin(j) + 0.05 * (random.nextDouble() - 0.5));
        }
        return values;
    }
}
