package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.ml.plan.ColumnBinding;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;

/**
 * Spark's {@code handleInvalid} for one task's rows, the same on both execution paths: what an
 * invalid cell does to its row ({@code error} fails the task with a message naming the stage, the
 * column, the row, the problem and the fixes; {@code skip} drops the row; {@code keep} keeps it
 * with a null output), and the count of such rows, each under its first problem, until they are
 * flushed into the stage's metrics.
 */
final class InvalidRows {

    private final String stage;
    private final HandleInvalid policy;
    private final long[] counts = new long[InvalidReason.values().length];

    InvalidRows(String stage, HandleInvalid policy) {
        this.stage = stage;
        this.policy = policy;
    }

    HandleInvalid policy() {
        return policy;
    }

    /**
     * Decides on an invalid cell: under {@code error}, throws; otherwise the row is dropped
     * ({@code skip}) or keeps a null output for the cell ({@code keep}), and this returns the reason
     * the row counts under: {@code rowSoFar}, the reason of an earlier invalid cell of the row, or
     * this cell's when it is the first.
     *
     * @param problem what is wrong with the cell ("is null", "holds NaN at index 3"), asked for
     *     only when the task fails
     * @param row the row's number in the task's partition, counted from 1
     */
    InvalidReason cell(ColumnBinding binding, InvalidReason reason, Supplier<String> problem, long row,
                       InvalidReason rowSoFar) {
        if (policy == HandleInvalid.ERROR) {
            TaskContext task = TaskContext.get();
            String where = "row " + row + (task == null ? "" : " of partition " + task.partitionId());
            throw new IllegalArgumentException(stage + ": input column '" + binding.inputName() + "' in " + where + " "
                    + problem.get() + ". Fix the data, or set handleInvalid to 'skip' to drop such rows"
                    + " or to 'keep' to keep them with a null '" + binding.outputName() + "'.");
        }
        return rowSoFar != null ? rowSoFar : reason;
    }

    /** A row dropped ({@code skip}) or kept with null outputs ({@code keep}), once, under its first problem. */
    void count(InvalidReason first) {
        counts[first.ordinal()]++;
    }

    /** The rows counted so far into {@code metrics}, as skipped or kept by reason, under {@code key}; then none. */
    void flush(NormalizerMetrics metrics, long key) {
        for (InvalidReason reason : InvalidReason.values()) {
            long n = counts[reason.ordinal()];
            if (n > 0) {
                metrics.add(key, policy == HandleInvalid.SKIP ? reason.skippedCounter() : reason.keptCounter(), n);
                counts[reason.ordinal()] = 0;
            }
        }
    }
}
