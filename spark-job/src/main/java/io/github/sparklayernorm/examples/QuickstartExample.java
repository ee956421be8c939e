package io.github.sparklayernorm.examples;

import io.github.sparklayernorm.ml.LayerNormalizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A runnable tour in local mode: readings of four channels from devices whose gain and offset
 * differ by orders of magnitude go through {@code VectorAssembler} and {@link LayerNormalizer} in a
 * {@code Pipeline}, which leaves each row's shape and removes its own gain and offset; the result is written
 * to Parquet, the fitted pipeline is saved and loaded back, and per-row statistics are printed
 * before and after.
 *
 * <p>Usage: {@code QuickstartExample [outputDir] [rows]} (default {@code target/quickstart}, 10000).
 */
public final class QuickstartExample {

    public static void main(String[] args) throws IOException {
        String outputDir = args.length > 0 ? args[0] : "target/quickstart";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        SparkSession spark = SparkSession.builder()
                .appName("spark-layernorm quickstart")
                .master(System.getProperty("spark.master", "local[*]"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            run(spark, outputDir, rows);
        } finally {
            spark.stop();
        }
    }

    static void run(SparkSession spark, String outputDir, int rows) throws IOException {
        Dataset<Row> raw = deviceReadings(spark, rows);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler()
                    .setInputCols(new String[] {"ch0", "ch1", "ch2", "ch3"})
                    .setOutputCol("raw"),
            // Scale and shift would normally be the weights of a trained model.
            new LayerNormalizer().setInputCol("raw").setOutputCol("normalized")
                    .setScale(new double[] {1.0, 1.0, 0.5, 2.0})
                    .setShift(new double[] {0.0, 0.0, 0.1, -0.1})});
        PipelineModel model = pipeline.fit(raw);

        String modelPath = outputDir + "/model";
        String dataPath = outputDir + "/normalized.parquet";
        model.write().overwrite().save(modelPath);
        PipelineModel loaded = PipelineModel.load(modelPath);
        loaded.transform(raw).select("id", "raw", "normalized").write().mode("overwrite").parquet(dataPath);

        Dataset<Row> written = spark.read().parquet(dataPath).orderBy("id");
        System.out.println();
        System.out.println("Wrote " + written.count() + " normalized rows to " + dataPath
                + " (pipeline saved to " + modelPath + ")");
        System.out.println();
        System.out.printf("%4s  %-52s  %-40s%n", "id", "raw features", "layer-normalized");
        for (Row row : written.limit(5).collectAsList()) {
            System.out.printf("%4d  %-52s  %-40s%n", row.getLong(0), format(row.getAs("raw")),
                    format(row.getAs("normalized")));
        }
        System.out.println();
        System.out.println("Per-row statistics of the first rows (before -> after, scale and shift undone):");
        double[] scale = {1.0, 1.0, 0.5, 2.0};
        double[] shift = {0.0, 0.0, 0.1, -0.1};
        for (Row row : written.limit(5).collectAsList()) {
            double[] x = ((Vector) row.getAs("raw")).toArray();
            double[] y = ((Vector) row.getAs("normalized")).toArray();
            double[] z = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                z[i] = (y[i] - shift[i]) / scale[i];
            }
            System.out.printf("  row %d: mean %12.4g  std %10.4g  ->  mean %8.1e  std %.6f%n",
                    row.getLong(0), mean(x), std(x), mean(z), std(z));
        }
    }

    /**
     * One row per reading: a common four-channel pattern plus noise, seen through each device's own
     * gain (0.01 to 1000) and offset (up to 1e6). Layer normalization removes both.
     */
    private static Dataset<Row> deviceReadings(SparkSession spark, int rows) {
        SplittableRandom random = new SplittableRandom(42);
        double[] pattern = {1.0, 3.0, -2.0, 0.5};
        List<Row> data = new ArrayList<>(rows);
        for (long id = 0; id < rows; id++) {
            double gain = Math.pow(10, -2 + 5 * random.nextDouble());
            double offset = 1e6 * (random.nextDouble() - 0.5);
            Object[] values = new Object[pattern.length + 1];
            values[0] = id;
            for (int c = 0; c < pattern.length; c++) {
                values[c + 1] = offset + gain * (pattern[c] + 0.05 * (random.nextDouble() - 0.5));
            }
            data.add(RowFactory.create(values));
        }
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("ch0", DataTypes.DoubleType, false),
            DataTypes.createStructField("ch1", DataTypes.DoubleType, false),
            DataTypes.createStructField("ch2", DataTypes.DoubleType, false),
            DataTypes.createStructField("ch3", DataTypes.DoubleType, false)});
        return spark.createDataFrame(data, schema);
    }

    private static String format(Vector v) {
        StringBuilder s = new StringBuilder("[");
        for (double x : v.toArray()) {
            s.append(s.length() > 1 ? ", " : "").append(String.format("%.4g", x));
        }
        return s.append(']').toString();
    }

    private static double mean(double[] x) {
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        return sum / x.length;
    }

    private static double std(double[] x) {
        double m = mean(x);
        double sum = 0;
        for (double v : x) {
            sum += (v - m) * (v - m);
        }
        return Math.sqrt(sum / x.length);
    }

    private QuickstartExample() {
    }
}
