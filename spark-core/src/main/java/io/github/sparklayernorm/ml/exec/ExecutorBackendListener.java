package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.routing.BackendListener;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns engine events into executor logs: the backend an executor normalizes on, and why, is
 * logged once per executor (INFO), and so is each distinct reason for falling back to the Java
 * engine (a warning, never silence). Rows are counted by the partition code, batch by batch.
 */
final class ExecutorBackendListener implements BackendListener {

    private static final Logger LOG = LoggerFactory.getLogger("io.github.sparklayernorm");
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private final String stage;

    ExecutorBackendListener(String stage) {
        this.stage = stage;
    }

    @Override
    public void recomputed(String device, String what) {
        if (LOGGED.add("recomputed " + device)) {
            LOG.warn("spark-layernorm: OpenCL device {} wrote NaN or infinite values for rows whose input is"
                    + " finite (a device fault); those rows were recomputed on the Java engine and are counted as"
                    + " its rows. Check the device and its driver.", device);
        }
    }

    @Override
    public void chose(String backend, String device, String why) {
        if (LOGGED.add("chose " + backend + " " + device + " " + why)) {
            LOG.info("spark-layernorm: this executor normalizes rows on {} ({})",
                    JavaLayerNorm.NAME.equals(backend) ? "the Java engine" : "OpenCL device " + device, why);
        }
    }

    @Override
    public void calibrated(String backend, String device, String figures) {
        if (LOGGED.add("calibrated " + device + " " + figures)) {
            LOG.info("spark-layernorm: backend 'auto' measured {}", figures);
        }
    }

    @Override
    public void fellBack(String step, String why) {
        if (LOGGED.add("fallback " + step + " " + why)) {
            LOG.warn("spark-layernorm ({}): OpenCL failed at {}: {}. This executor normalizes on the Java engine"
                    + " instead; the results have the same bits (docs/arithmetic.md).", stage, step, why);
        }
    }
}
