package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.BackendListener;
import io.github.sparklayernorm.kernels.OpenClFailure;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns engine events into Spark metrics and executor logs: rows go to the accumulator; the
 * backend an executor normalizes on, and why, is logged once per executor (INFO), and so is each
 * distinct reason for falling back to the Java engine (a warning, never silence).
 */
final class ExecutorBackendListener implements BackendListener {

    private static final Logger LOG = LoggerFactory.getLogger("io.github.sparklayernorm");
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private final String stage;
    private final NormalizerMetrics metrics;
    /** Data rows in the batch being normalized: with groups the engine sees more (one per group). */
    private long rowsInBatch = -1;

    private final long partition;

    ExecutorBackendListener(String stage, NormalizerMetrics metrics, long partition) {
        this.stage = stage;
        this.metrics = metrics;
        this.partition = partition;
    }

    static String key(String backend, String device) {
        return "java".equals(backend) ? backend : backend + ": " + device;
    }

    /** The next batch holds this many data rows, whatever the number of groups the engine sees. */
    void nextBatchHolds(long dataRows) {
        rowsInBatch = dataRows;
    }

    @Override
    public void rowsNormalized(String backend, String device, long count) {
        metrics.add(partition, NormalizerMetrics.BACKEND + key(backend, device), rowsInBatch >= 0 ? rowsInBatch : count);
    }

    @Override
    public void chose(String backend, String device, String why) {
        if (LOGGED.add("chose " + backend + " " + device + " " + why)) {
            LOG.info("spark-layernorm: this executor normalizes rows on {} ({})",
                    "java".equals(backend) ? "the Java engine" : "OpenCL device " + device, why);
        }
    }

    @Override
    public void fellBack(OpenClFailure reason) {
        if (LOGGED.add("fallback " + reason.stage() + " " + reason.getMessage())) {
            LOG.warn("spark-layernorm ({}): OpenCL failed at {}: {}. This executor normalizes on the Java engine"
                    + " instead; the results are the same within 1e-12.", stage, reason.stage(), reason.getMessage());
        }
    }
}
