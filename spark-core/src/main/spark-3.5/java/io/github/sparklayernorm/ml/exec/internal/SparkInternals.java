package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.types.StructType;
import scala.runtime.AbstractFunction1;

/**
 * Spark 3.5's side of what the stages need from Spark's internals: expressions as columns, whether
 * a plan reads rows the driver holds, and a partition function over Catalyst's rows as a node of
 * the plan. The Spark 4 build compiles its own version of this class (Spark 4 keeps these on its
 * classic session and dataset).
 */
public final class SparkInternals {

    private SparkInternals() {
    }

    /**
     * Whether {@code frame} reads rows the driver holds (a local relation, as from
     * {@code createDataFrame} of a list): Spark's optimizer then evaluates projections and filters
     * over them on the driver, outside any task.
     */
    public static boolean readsLocalRows(Dataset<Row> frame) {
        if (frame.isStreaming()) {
            // Tasks read each micro-batch (a source with no new data is an empty local relation:
            // nothing to count). Nor could a stream's plan be optimized outside its query.
            return false;
        }
        return frame.queryExecution().optimizedPlan().collectLeaves()
                .exists(new AbstractFunction1<LogicalPlan, Object>() {
                    @Override
                    public Object apply(LogicalPlan leaf) {
                        return leaf instanceof LocalRelation;
                    }
                });
    }

    /** A Catalyst expression as a column of the DataFrame API. */
    public static Column column(Expression expression) {
        return new Column(expression);
    }

    /** The Catalyst expression behind a column of {@code frame} (resolved against it when the plan is analysed). */
    public static Expression expression(Column column) {
        return column.expr();
    }

    /**
     * {@code frame} taken through {@code function} partition by partition, as a node of its query
     * plan ({@link PartitionNode}): it runs in every job of a batch query and in every micro-batch of
     * a streaming one. Nothing runs here.
     */
    public static Dataset<Row> mapPartitions(Dataset<Row> frame, PartitionFunction function, StructType schema) {
        PartitionNode node = new PartitionNode(frame.logicalPlan(), function, schema, InputRow::new);
        return Dataset.ofRows(frame.sparkSession(), node.plan()).select(node.columns(SparkInternals::column));
    }

    /** {@link InputRowBase} on this line's Scala collections. */
    public static final class InputRow extends InputRowBase {
        private static final long serialVersionUID = 1L;

        InputRow(scala.collection.immutable.List<Expression> columns) {
            super(columns);
        }

        @Override
        public Expression withNewChildrenInternal(scala.collection.IndexedSeq<Expression> newChildren) {
            return new InputRow(newChildren.toList());
        }
    }
}
