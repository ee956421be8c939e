package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * A partition's rows in, the same partition's output rows out, in Catalyst's internal form: what
 * {@link SparkInternals#mapPartitions} runs in each task. Serialized with the query plan; a task
 * finds its partition and its micro-batch, if any, in {@code TaskContext}.
 */
public interface PartitionFunction extends Serializable {

    /**
     * @param rows the partition's input rows, in the input's schema; a row may be reused by the
     *     next call to {@code next()}, as Spark's row iterators do
     * @return the output rows, in the schema given to {@link SparkInternals#mapPartitions}; each
     *     valid until the following call to {@code next()}
     */
    Iterator<InternalRow> apply(Iterator<InternalRow> rows);
}
