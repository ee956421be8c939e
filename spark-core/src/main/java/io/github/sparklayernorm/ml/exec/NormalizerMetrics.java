package io.github.sparklayernorm.ml.exec;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.TaskContext;
import org.apache.spark.util.AccumulatorV2;

/**
 * A stage's row counts, as one named Spark accumulator (it shows in the Spark UI's stage pages,
 * and the driver reads it after a job): rows read, rows skipped and kept by reason, rows per
 * backend and device.
 *
 * <p>Exact when Spark runs a task again. An accumulator updated in a transformation counts every
 * attempt that succeeds (a speculative copy, a stage recomputed after a lost executor); here each
 * task's counts are kept apart, under its stage and partition, and an attempt's counts replace
 * those of an earlier attempt of the same partition instead of adding to them. A partition's rows
 * are the same in every attempt, so the totals are those of one run of each partition. Different
 * jobs (two actions on the same result) add up, as they read the rows twice.
 */
public final class NormalizerMetrics extends AccumulatorV2<Map<String, Long>, Map<String, Long>> {
    private static final long serialVersionUID = 1L;

    public static final String READ = "read";
    public static final String BACKEND = "backend: ";

    /** Counts per task: (stage id << 32 | partition id), or -1 outside a Spark task. */
    private final HashMap<Long, HashMap<String, Long>> byTask = new HashMap<>();

    public synchronized void add(String counter, long n) {
        byTask.computeIfAbsent(taskKey(), k -> new HashMap<>()).merge(counter, n, Long::sum);
    }

    private static long taskKey() {
        TaskContext task = TaskContext.get();
        return task == null ? -1 : ((long) task.stageId() << 32) | (task.partitionId() & 0xffffffffL);
    }

    @Override
    public synchronized boolean isZero() {
        return byTask.isEmpty();
    }

    @Override
    public synchronized NormalizerMetrics copy() {
        NormalizerMetrics copy = new NormalizerMetrics();
        byTask.forEach((task, counts) -> copy.byTask.put(task, new HashMap<>(counts)));
        return copy;
    }

    @Override
    public synchronized void reset() {
        byTask.clear();
    }

    /** Adds counts to the current task's. */
    @Override
    public synchronized void add(Map<String, Long> counts) {
        counts.forEach(this::add);
    }

    /** A task's counts replace those of an earlier attempt of the same partition. */
    @Override
    public void merge(AccumulatorV2<Map<String, Long>, Map<String, Long>> other) {
        if (!(other instanceof NormalizerMetrics)) {
            throw new UnsupportedOperationException("cannot merge " + other.getClass().getName() + " into metrics");
        }
        NormalizerMetrics from = ((NormalizerMetrics) other).copy();
        synchronized (this) {
            from.byTask.forEach((task, counts) -> {
                if (task == -1) {
                    HashMap<String, Long> outside = byTask.computeIfAbsent(task, k -> new HashMap<>());
                    counts.forEach((k, v) -> outside.merge(k, v, Long::sum));
                } else {
                    byTask.put(task, counts);
                }
            });
        }
    }

    /** Every counter, summed over tasks: "read", "skipped: null", "backend: java", ... */
    @Override
    public synchronized Map<String, Long> value() {
        TreeMap<String, Long> total = new TreeMap<>();
        byTask.values().forEach(counts -> counts.forEach((k, v) -> total.merge(k, v, Long::sum)));
        return Collections.unmodifiableMap(total);
    }

    /** The counters that start with {@code prefix}, without it. */
    public Map<String, Long> withPrefix(String prefix) {
        TreeMap<String, Long> selected = new TreeMap<>();
        value().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                selected.put(k.substring(prefix.length()), v);
            }
        });
        return Collections.unmodifiableMap(selected);
    }

    public long count(String counter) {
        return value().getOrDefault(counter, 0L);
    }

    @Override
    public String toString() {
        return value().toString();
    }
}
