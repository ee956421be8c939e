package io.github.sparklayernorm.ml.exec;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.util.AccumulatorV2;

/**
 * Rows normalized per backend and device ("java", "opencl: NVIDIA H100 (GPU, NVIDIA CUDA)"), as a
 * named Spark accumulator: it shows in the Spark UI's stage pages, and the driver reads it after
 * a job. Each column of a row counts once. Like every accumulator updated in a transformation, a
 * task that Spark re-runs counts again.
 */
public final class RowsByBackend extends AccumulatorV2<Map<String, Long>, Map<String, Long>> {
    private static final long serialVersionUID = 1L;

    private final HashMap<String, Long> counts = new HashMap<>();

    public synchronized void add(String backend, long rows) {
        counts.merge(backend, rows, Long::sum);
    }

    @Override
    public synchronized boolean isZero() {
        return counts.isEmpty();
    }

    @Override
    public synchronized RowsByBackend copy() {
        RowsByBackend copy = new RowsByBackend();
        copy.counts.putAll(counts);
        return copy;
    }

    @Override
    public synchronized void reset() {
        counts.clear();
    }

    @Override
    public synchronized void add(Map<String, Long> more) {
        more.forEach(this::add);
    }

    @Override
    public void merge(AccumulatorV2<Map<String, Long>, Map<String, Long>> other) {
        add(other.value());
    }

    @Override
    public synchronized Map<String, Long> value() {
        return Collections.unmodifiableMap(new TreeMap<>(counts));
    }
}
