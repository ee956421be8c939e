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
    /**
     * The batch being normalized: its data rows and the engine's rows (one per group, with groups),
     * and what of each is still to be counted. A batch may be split between backends (rows a
     * device got wrong are Java's); engine rows are turned into data rows in proportion, the
     * last part taking the rest, so that every data row counts exactly once.
     */
    private long dataLeft = -1;
    private long engineLeft;

    private final long partition;

    ExecutorBackendListener(String stage, NormalizerMetrics metrics, long partition) {
        this.stage = stage;
        this.metrics = metrics;
        this.partition = partition;
    }

    static String key(String backend, String device) {
        return "java".equals(backend) ? backend : backend + ": " + device;
    }

    /** The next batch holds this many data rows, and the engine sees this many rows (groups) in it. */
    void nextBatchHolds(long dataRows, long engineRows) {
        dataLeft = dataRows;
        engineLeft = engineRows;
    }

    @Override
    public void rowsNormalized(String backend, String device, long count) {
        long data = count;
        if (dataLeft >= 0) {
            data = count >= engineLeft ? dataLeft : Math.min(dataLeft, (count * dataLeft + engineLeft - 1) / engineLeft);
            dataLeft -= data;
            engineLeft -= count;
        }
        if (data > 0) {
            metrics.add(partition, NormalizerMetrics.BACKEND + key(backend, device), data);
        }
    }

    @Override
    public void recomputed(OpenClFailure.Stage stage, String device) {
        if (LOGGED.add("recomputed " + stage + " " + device)) {
            LOG.warn("spark-layernorm: OpenCL device {} wrote NaN or infinite values for rows whose input is"
                    + " finite (a device fault); those rows were recomputed on the Java engine and are counted as"
                    + " its rows. Check the device and its driver.", device);
        }
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
