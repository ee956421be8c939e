package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.ml.LayerNormalizer;
import io.github.sparklayernorm.ml.RmsNormalizer;
import io.github.sparklayernorm.ml.SyntheticRows;
import io.github.sparklayernorm.ml.exec.Execution;
import io.github.sparklayernorm.kernels.opencl.OpenClDevices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.ml.feature.Normalizer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Rows per second inside Spark, in one run: on the same cached DataFrame of dense vectors (and one
 * of {@code array<float>}), each transformer's output is written to the {@code noop} format, so
 * that the whole plan runs but nothing is stored. Compared: {@code LayerNormalizer} (java backend),
 * MLlib's {@code Normalizer} and {@code StandardScalerModel} (withMean, withStd), and an identity
 * projection of the same column (the cost of reading the cache and writing a row, with no
 * arithmetic); also RMS normalization, groups of 64, and the OpenCL backend where a device is.
 *
 * <p>{@code --extra-columns N} makes it a feature table: N more columns (doubles and strings, as a
 * table of features has) beside the vector, and each case keeps only its output column, as a
 * pipeline that goes on with the normalized features does: what Spark's optimizer can prune then
 * counts. The Java engine runs on the expression path (the default); "batched path" cases force the
 * batched one ({@code spark.layernorm.execution=batches}) for comparison.
 *
 * <p>{@code --parquet} writes both tables to Parquet files under {@code target/bench-spark/} and
 * reads every case from them instead of the cache, as a pipeline reads its features (Spark's
 * vectorized reader hands cells over as column vectors' views, not as binary rows).
 *
 * <p>Every case runs {@code rounds} times, interleaved (machines here are shared and noisy); the
 * best time counts, and the last column gives the median of each round's ratio to the identity.
 * Run: {@code bin/bench-spark [--extra-columns N] [--parquet] [rows] [d] [rounds] [case]}
 * (default 1,000,000 x 256, 3 rounds, every case; a case argument keeps the cases whose name
 * contains it, and the baselines).
 */
public final class SparkThroughput {

    /**
     * The median over rounds of a case's time over the identity's in the same round: the rounds
     * interleave the cases, so a busy moment of a shared machine slows both sides of a ratio, where
     * the best times may come from different moments.
     */
    private static double medianRatio(double[] times, double[] identity) {
        double[] ratios = new double[times.length];
        for (int i = 0; i < times.length; i++) {
            ratios[i] = times[i] / identity[i];
        }
        Arrays.sort(ratios);
        int n = ratios.length;
        return n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
    }

    public static void main(String[] arguments) {
        List<String> args = new ArrayList<>(Arrays.asList(arguments));
        int extra = 0;
        int flag = args.indexOf("--extra-columns");
        if (flag >= 0) {
            if (flag + 1 >= args.size()) {
                throw new IllegalArgumentException("--extra-columns needs a number of columns");
            }
            extra = Integer.parseInt(args.get(flag + 1));
            args.subList(flag, flag + 2).clear();
        }
        boolean parquet = args.remove("--parquet");
        int rows = args.size() > 0 ? Integer.parseInt(args.get(0)) : 1_000_000;
        int d = args.size() > 1 ? Integer.parseInt(args.get(1)) : 256;
        int rounds = args.size() > 2 ? Integer.parseInt(args.get(2)) : 3;
        String only = args.size() > 3 ? args.get(3) : "";
        SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-layernorm throughput")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            run(spark, rows, d, rounds, only, extra, parquet);
        } finally {
            spark.stop();
        }
    }

    private static void run(SparkSession spark, int rows, int d, int rounds, String only, int extra,
                            boolean parquet) {
        List<Column> columns = new ArrayList<>();
        columns.add(functions.col("id"));
        columns.add(SyntheticRows.vectorOf(spark, functions.col("id"), d).as("features"));
        for (int c = 0; c < extra; c++) {
            // Half doubles, half short strings: the other columns of a feature table.
            columns.add(c % 2 == 0
                    ? functions.col("id").multiply(c + 1).mod(997).divide(7.0).as("f" + c)
                    : functions.concat(functions.lit("s"), functions.col("id").mod(100 + c).cast("string")).as("f" + c));
        }
        Dataset<Row> cachedVectors = spark.range(0, rows, 1, 8).select(columns.toArray(new Column[0])).cache();
        List<Column> floatColumns = new ArrayList<>();
        for (String name : cachedVectors.columns()) {
            floatColumns.add(name.equals("features")
                    ? org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float32").as("features")
                    : functions.col(name));
        }
        Dataset<Row> cachedFloats = cachedVectors.select(floatColumns.toArray(new Column[0])).cache();
        long count = cachedVectors.count() + cachedFloats.count();
        if (count != 2L * rows) {
            throw new IllegalStateException("cached " + count + " rows, expected " + 2L * rows);
        }
        Dataset<Row> vectors = cachedVectors;
        Dataset<Row> floats = cachedFloats;
        if (parquet) {
            // Read back from files, as a pipeline reads its features: Spark's vectorized reader
            // then hands each cell over as column vectors' views, not as binary rows.
            String dir = "target/bench-spark/" + rows + "x" + d + "+" + extra;
            cachedVectors.write().mode("overwrite").parquet(dir + "/vectors.parquet");
            cachedFloats.write().mode("overwrite").parquet(dir + "/floats.parquet");
            cachedFloats.unpersist();
            cachedVectors.unpersist();
            vectors = spark.read().parquet(dir + "/vectors.parquet");
            floats = spark.read().parquet(dir + "/floats.parquet");
        }
        Dataset<Row> vectorTable = vectors;
        Dataset<Row> floatTable = floats;
        StandardScalerModel scaler = new StandardScaler().setInputCol("features").setOutputCol("out")
                .setWithMean(true).setWithStd(true).fit(vectors);
        double[] scale = new double[d];
        double[] shift = new double[d];
        Arrays.fill(scale, 1.0);

        Map<String, Supplier<Dataset<Row>>> cases = new LinkedHashMap<>();
        cases.put("identity (vector)", () -> vectorTable.withColumn("out", functions.col("features")));
        cases.put("Normalizer (vector)", () -> new Normalizer().setInputCol("features").setOutputCol("out").transform(vectorTable));
        cases.put("StandardScalerModel (vector)", () -> scaler.transform(vectorTable));
        cases.put("LayerNormalizer java (vector)", () -> layerNorm("java").transform(vectorTable));
        cases.put("LayerNormalizer auto (vector)", () -> layerNorm("auto").transform(vectorTable));
        cases.put("LayerNormalizer java, batched path (vector)", () -> batched(spark, () -> layerNorm("java").transform(vectorTable)));
        cases.put("LayerNormalizer java, scale+shift (vector)",
                () -> layerNorm("java").setScale(scale).setShift(shift).transform(vectorTable));
        cases.put("RmsNormalizer java (vector)",
                () -> new RmsNormalizer().setInputCol("features").setOutputCol("out").setBackend("java").transform(vectorTable));
        if (d % 64 == 0) {
            cases.put("LayerNormalizer java, groups of 64 (vector)",
                    () -> layerNorm("java").setGroupSize(64).transform(vectorTable));
        }
        cases.put("identity (array<float>)", () -> floatTable.withColumn("out", functions.col("features")));
        cases.put("LayerNormalizer java (array<float>)", () -> layerNorm("java").transform(floatTable));
        cases.put("LayerNormalizer java, batched path (array<float>)",
                () -> batched(spark, () -> layerNorm("java").transform(floatTable)));
        boolean openCl = !OpenClDevices.all().isEmpty();
        if (openCl) {
            cases.put("LayerNormalizer opencl (vector)", () -> layerNorm("opencl").transform(vectorTable));
            cases.put("LayerNormalizer opencl (array<float>)", () -> layerNorm("opencl").transform(floatTable));
        }

        if (!only.isEmpty()) {
            // The two baselines always run, so that the ratios mean something.
            cases.keySet().removeIf(name -> !name.contains(only) && !name.startsWith("identity")
                    && !name.startsWith("Normalizer"));
        }

        // A sanity check before timing: a normalized row has mean 0 and variance 1 (to epsilon).
        double[] y = ((Vector) layerNorm("java").transform(vectorTable).select("out").first().get(0)).toArray();
        double mean = Arrays.stream(y).average().orElse(Double.NaN);
        double variance = Arrays.stream(y).map(v -> (v - mean) * (v - mean)).average().orElse(Double.NaN);
        if (Math.abs(mean) > 1e-9 || Math.abs(variance - 1) > 1e-4) {
            throw new IllegalStateException("LayerNormalizer output has mean " + mean + " and variance " + variance);
        }

        Map<String, Double> best = new LinkedHashMap<>();
        Map<String, double[]> times = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (var c : cases.entrySet()) {
                long start = System.nanoTime();
                Dataset<Row> out = c.getValue().get();
                // A feature table's pipeline goes on with the output alone; a two-column one writes all.
                (extra > 0 ? out.select("out") : out).write().format("noop").mode("overwrite").save();
                double seconds = (System.nanoTime() - start) / 1e9;
                best.merge(c.getKey(), seconds, Math::min);
                times.computeIfAbsent(c.getKey(), k -> new double[rounds])[round] = seconds;
            }
        }

        System.out.println();
        System.out.printf("%,d rows x %d%s, %s, local[2], written to noop%s; best of %d rounds; Spark %s, Java %s%n",
                rows, d, extra > 0 ? " and " + extra + " other columns" : "", parquet ? "read from Parquet" : "cached",
                extra > 0 ? " (the output column alone)" : "", rounds, spark.version(), Runtime.version());
        System.out.println("OpenCL device: " + (openCl ? OpenClDevices.describe(OpenClDevices.all().get(0)) : "none"));
        List<String> lines = new ArrayList<>();
        lines.add(String.format("| %-50s | %8s | %12s | %16s | %14s | %18s |", "case", "seconds", "rows/s", "vs Normalizer",
                "vs identity", "median round ratio"));
        double normalizer = best.get("Normalizer (vector)");
        for (var e : best.entrySet()) {
            String name = e.getKey();
            String identityCase = name.endsWith("(array<float>)") ? "identity (array<float>)" : "identity (vector)";
            double identity = best.get(identityCase);
            lines.add(String.format("| %-50s | %8.2f | %,12.0f | %7.2fx rows/s | %7.2fx time | %12.2fx time |", name,
                    e.getValue(), rows / e.getValue(), normalizer / e.getValue(), e.getValue() / identity,
                    medianRatio(times.get(name), times.get(identityCase))));
        }
        lines.forEach(System.out::println);
        Double ln = best.get("LayerNormalizer java (vector)");
        if (ln != null) {
            System.out.printf("%nLayerNormalizer (java, vector): %.2fx Normalizer's rows/s (target >= 1.5x), "
                    + "%.2fx the identity's time (target <= 1.3x)%n", normalizer / ln, ln / best.get("identity (vector)"));
        }
        Double auto = best.get("LayerNormalizer auto (vector)");
        if (auto != null) {
            System.out.printf("LayerNormalizer (auto, vector): %.2fx Normalizer's rows/s, %.2fx the identity's time%n",
                    normalizer / auto, auto / best.get("identity (vector)"));
        }
    }

    /** The transform, planned on the batched path; it stays so when it runs, later. */
    private static Dataset<Row> batched(SparkSession spark, Supplier<Dataset<Row>> transform) {
        spark.conf().set(Execution.PATH_SETTING, "batches");
        try {
            return transform.get();
        } finally {
            spark.conf().unset(Execution.PATH_SETTING);
        }
    }

    private static LayerNormalizer layerNorm(String backend) {
        return new LayerNormalizer().setInputCol("features").setOutputCol("out").setBackend(backend);
    }

    private SparkThroughput() {
    }
}
