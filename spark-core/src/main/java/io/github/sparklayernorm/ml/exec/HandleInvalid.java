package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.ml.plan.ColumnBinding;
import java.util.Locale;
import org.apache.spark.TaskContext;

/** Spark MLlib's convention for invalid rows. */
public enum HandleInvalid {
    /** Fail the job with a message naming the column, the row and the problem. */
    ERROR,
    /** Drop the row. */
    SKIP,
    /** Keep the row, with a null output for the invalid column. */
    KEEP;

    public static final String[] NAMES = {"error", "skip", "keep"};

    public static HandleInvalid of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /**
     * The error of {@code error} mode: the stage, the column, the row ({@code number}, counted from 1
     * in this task's partition), the problem and the fixes.
     */
    static IllegalArgumentException error(String stage, ColumnBinding binding, String problem, long number) {
        TaskContext task = TaskContext.get();
        String where = "row " + number + (task == null ? "" : " of partition " + task.partitionId());
        return new IllegalArgumentException(stage + ": input column '" + binding.inputName() + "' in " + where + " "
                + problem + ". Fix the data, or set handleInvalid to 'skip' to drop such rows"
                + " or to 'keep' to keep them with a null '" + binding.outputName() + "'.");
    }
}
