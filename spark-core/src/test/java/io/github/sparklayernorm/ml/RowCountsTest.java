package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.field;
import static io.github.sparklayernorm.ml.TestRows.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.sparklayernorm.ml.exec.NormalizerMetrics;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The stage's counts describe its result: each partition once, however often Spark computes it.
 */
class RowCountsTest {

    private static Dataset<Row> rows(int n) {
        Object[] cells = new Object[n];
        for (int i = 0; i < n; i++) {
            cells[i] = i % 10 == 0 ? null : new double[] {i, i + 1, i * 0.5};
        }
        return frame(field("x", DOUBLES), cells).repartition(4);
    }

    @Test
    void severalJobsOnOneResultCountEachRowOnce() {
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setHandleInvalid("skip")
                .setBackend("java");
        Dataset<Row> out = ln.transform(rows(200));
        assertEquals(180, out.count());
        assertEquals(180, out.count());
        // A sort runs a sampling job over its input first, then the sort itself.
        assertEquals(180, out.orderBy("id").collectAsList().size());
        assertEquals(200, ln.rowsRead());
        assertEquals(20, ln.rowsSkipped());
        assertEquals(Map.of("null", 20L), ln.rowsSkippedByReason());
        assertEquals(Map.of("java", 180L), ln.rowsByBackend());
    }

    @Test
    void aPartialReadIsReplacedByAFullOneAndNeverReplacesIt() {
        LayerNormalizer ln = new LayerNormalizer().setInputCol("x").setOutputCol("y").setBackend("java")
                .setBatchSize(1);
        Dataset<Row> out = ln.transform(frame(field("x", DOUBLES), new double[] {1, 2}, new double[] {3, 5},
                new double[] {2, 9}).coalesce(1));
        out.first();
        assertEquals(1, ln.rowsRead(), "first() stops after the first batch, of one row");
        out.count();
        assertEquals(3, ln.rowsRead());
        out.first();
        assertEquals(3, ln.rowsRead());
    }

    /** Two attempts of one partition (a retried or speculative task) count once; the fuller one wins. */
    @Test
    void attemptsOfOnePartitionReplaceEachOther() {
        NormalizerMetrics driver = new NormalizerMetrics();
        long p0 = NormalizerMetrics.partition(7, 0);
        long p1 = NormalizerMetrics.partition(7, 1);
        NormalizerMetrics attempt1 = new NormalizerMetrics();
        attempt1.add(p0, NormalizerMetrics.READ, 100);
        attempt1.add(p0, NormalizerMetrics.BACKEND + "opencl: gpu", 100);
        NormalizerMetrics attempt2 = new NormalizerMetrics();
        attempt2.add(p0, NormalizerMetrics.READ, 100);
        attempt2.add(p0, NormalizerMetrics.BACKEND + "java", 100);
        NormalizerMetrics other = new NormalizerMetrics();
        other.add(p1, NormalizerMetrics.READ, 50);
        other.add(p1, NormalizerMetrics.BACKEND + "java", 50);
        driver.merge(attempt1);
        driver.merge(other);
        driver.merge(attempt2);
        assertEquals(Map.of("read", 150L, "backend: java", 150L), driver.value());
    }
}
