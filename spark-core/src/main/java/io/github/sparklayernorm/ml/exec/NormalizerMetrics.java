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
 * <p>The counts describe the transformed dataset, each of its partitions counted once, however
 * often Spark computes it. An accumulator updated in a transformation counts every computation
 * that succeeds: a retried or speculative task, a stage recomputed after a lost executor, a second
 * job on the same result (a sort samples its input first, for one). Here each partition's counts
 * are kept apart, and a later computation of a partition replaces an earlier one unless it read
 * fewer rows (a {@code first()} or {@code limit} stops early): what is left is one full
 * computation of each partition that has been read. On a stream, each micro-batch's partitions
 * are counted apart, so the counts are those of every micro-batch so far.
 */
public final class NormalizerMetrics extends AccumulatorV2<Map<String, Long>, Map<String, Long>> {
    private static final long serialVersionUID = 1L;

    public static final String READ = "read";
    /**
     * Rows one computation of a partition went through, whatever it counts: what decides which of
     * two computations of a partition is kept. Not among {@link #value()}'s counters.
     */
    public static final String SEEN = "seen";
    public static final String BACKEND = "backend: ";

    /**
     * Spark's local property that holds a streaming query's micro-batch id in its tasks (set by
     * its micro-batch execution; absent in batch queries).
     */
    static final String MICRO_BATCH = "streaming.sql.batchId";

    /** Counts per partition of the transformed data, keyed by {@link #partition}. */
    private final HashMap<Long, HashMap<String, Long>> byPartition = new HashMap<>();

    /** The key of one partition of one computation ({@code scope}: see {@link #partition(TaskContext, int)}). */
    public static long partition(int scope, int index) {
        return ((long) scope << 32) | (index & 0xffffffffL);
    }

    /**
     * The key of the running task's partition. A batch query's result is one set of partitions,
     * however many jobs compute it; a streaming query's result is a new set in each micro-batch,
     * so there the micro-batch is part of the key, and the counts add up over micro-batches.
     * {@code part} tells apart counts that Spark may take in different stages (a filter's and a
     * projection's): 0 or 1.
     */
    public static long partition(TaskContext task, int part) {
        String microBatch = task.getLocalProperty(MICRO_BATCH);
        int scope = microBatch == null ? part : (int) (2 * (Long.parseLong(microBatch) + 1) + part);
        return partition(scope, task.partitionId());
    }

    public synchronized void add(long partition, String counter, long n) {
        byPartition.computeIfAbsent(partition, k -> new HashMap<>()).merge(counter, n, Long::sum);
    }

    @Override
    public synchronized boolean isZero() {
        return byPartition.isEmpty();
    }

    @Override
    public synchronized NormalizerMetrics copy() {
        NormalizerMetrics copy = new NormalizerMetrics();
        byPartition.forEach((part, counts) -> copy.byPartition.put(part, new HashMap<>(counts)));
        return copy;
    }

    @Override
    public synchronized void reset() {
        byPartition.clear();
    }

    /** Not used: counts are added per partition ({@link #add(long, String, long)}). */
    @Override
    public void add(Map<String, Long> counts) {
        throw new UnsupportedOperationException("counts are added per partition");
    }

    /** A partition's counts replace those of an earlier computation of it, unless they read fewer rows. */
    @Override
    public void merge(AccumulatorV2<Map<String, Long>, Map<String, Long>> other) {
        if (!(other instanceof NormalizerMetrics)) {
            throw new UnsupportedOperationException("cannot merge " + other.getClass().getName() + " into metrics");
        }
        NormalizerMetrics from = ((NormalizerMetrics) other).copy();
        synchronized (this) {
            from.byPartition.forEach((part, counts) -> {
                HashMap<String, Long> earlier = byPartition.get(part);
                if (earlier == null || seen(counts) >= seen(earlier)) {
                    byPartition.put(part, counts);
                }
            });
        }
    }

    private static long seen(Map<String, Long> counts) {
        return counts.getOrDefault(SEEN, counts.getOrDefault(READ, 0L));
    }

    /** Every counter, summed over partitions: "read", "skipped: null", "backend: java", ... */
    @Override
    public synchronized Map<String, Long> value() {
        TreeMap<String, Long> total = new TreeMap<>();
        byPartition.values().forEach(counts -> counts.forEach((k, v) -> total.merge(k, v, Long::sum)));
        total.remove(SEEN);
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
