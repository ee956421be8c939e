package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import java.util.Map;

/**
 * A routed engine whose batches are counted by backend ("java" or "opencl") from each call's report, as
 * the Spark side counts them: the batch's backend, with recomputed rows moved to "java".
 */
final class CountedEngine implements LayerNormEngine {
    private final RoutedLayerNorm engine;
    private final Map<String, Long> rows;

    CountedEngine(RoutedLayerNorm engine, Map<String, Long> rows) {
        this.engine = engine;
        this.rows = rows;
    }

    @Override
    public String name() {
        return engine.name();
    }

    @Override
    public BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return count(engine.normalize(in, out, layout, spec, stats), layout.rowCount());
    }

    @Override
    public BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        return count(engine.normalize(in, out, layout, spec, stats), layout.rowCount());
    }

    private BatchReport count(BatchReport report, int batchRows) {
        String backend = report.backend().startsWith("opencl: ") ? "opencl" : report.backend();
        int recomputed = report.recomputedRows();
        for (int i = 1; i < recomputed; i++) {
            if (report.recomputedRow(i) <= report.recomputedRow(i - 1)) {
                throw new AssertionError("recomputed rows out of order");
            }
        }
        if (batchRows - recomputed > 0) {
            rows.merge(backend, (long) batchRows - recomputed, Long::sum);
        }
        if (recomputed > 0) {
            rows.merge("java", (long) recomputed, Long::sum);
        }
        return report;
    }

    @Override
    public void close() {
        engine.close();
    }
}
