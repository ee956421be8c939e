package io.github.sparklayernorm.ml;

import io.github.sparklayernorm.ml.exec.Execution;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Run in a child JVM with a small heap: rows of a 16-value vector beside a binary column of
 * {@code kib} KiB, generated on the fly, go through LayerNormalizer on the batched path to the
 * noop sink. Prints the rows read. Arguments: rows, kib, partitions.
 */
public final class WideRowsProbe {

    public static void main(String[] args) {
        long rows = Long.parseLong(args[0]);
        int kib = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[2]);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("wide rows")
                .config("spark.ui.enabled", "false").config(Execution.PATH_SETTING, "batches").getOrCreate();
        try {
            LayerNormalizer normalizer = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
            // Each row's bytes differ (the id leads them), so nothing is shared between rows.
            normalizer.transform(spark.range(0, rows, 1, partitions).select(
                            SyntheticRows.vectorOf(spark, functions.col("id"), 16).as("x"),
                            functions.concat(functions.col("id").cast("string").cast("binary"),
                                    functions.expr("unhex(repeat('ab', " + (kib * 1024) + "))")).as("payload")))
                    .write().format("noop").mode("overwrite").save();
            System.out.printf("rows read %d%n", normalizer.rowsRead());
        } finally {
            spark.stop();
        }
    }

    private WideRowsProbe() {
    }
}
