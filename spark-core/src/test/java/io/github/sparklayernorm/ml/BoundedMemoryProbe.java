package io.github.sparklayernorm.ml;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Run in a child JVM with a small heap: rows x d vectors, generated on the fly (never cached),
 * go through LayerNormalizer to the noop sink. Prints the rows read, the time and the heap's peak.
 * Arguments: rows, d, partitions.
 */
public final class BoundedMemoryProbe {

    public static void main(String[] args) {
        long rows = Long.parseLong(args[0]);
        int d = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[2]);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("bounded memory")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            LayerNormalizer normalizer = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java");
            long start = System.nanoTime();
            normalizer.transform(spark.range(0, rows, 1, partitions)
                            .select(SyntheticRows.vectorOf(spark, functions.col("id"), d).as("x")))
                    .write().format("noop").mode("overwrite").save();
            double seconds = (System.nanoTime() - start) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.printf("rows read %d, %.1f s, heap peak %d MB of %d MB%n", normalizer.rowsRead(), seconds,
                    peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
        } finally {
            spark.stop();
        }
    }

    private BoundedMemoryProbe() {
    }
}
