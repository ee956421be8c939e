package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.types.StructType;
import scala.runtime.AbstractFunction1;

/**
 * Spark 4's side of the two internal calls the transformer makes: a DataFrame's rows as Catalyst
 * sees them, and a DataFrame made from such rows. Spark 4 keeps both on its "classic" session and
 * dataset, which is what a transformer is handed on a driver (Spark Connect included: its server
 * runs the stage on classic ones). The Spark 3.5 build compiles its own version of this class.
 */
public final class SparkInternals {

    private SparkInternals() {
    }

    /** The rows of {@code frame} as internal rows, in its schema's order (usually UnsafeRows, reused). */
    public static RDD<InternalRow> internalRows(Dataset<Row> frame) {
        return ((org.apache.spark.sql.classic.Dataset<Row>) frame).queryExecution().toRdd();
    }

    /**
     * Whether {@code frame} reads rows the driver holds (a local relation, as from
     * {@code createDataFrame} of a list): Spark's optimizer then evaluates projections and filters
     * over them on the driver, outside any task.
     */
    public static boolean readsLocalRows(Dataset<Row> frame) {
        return ((org.apache.spark.sql.classic.Dataset<Row>) frame).queryExecution().optimizedPlan().collectLeaves()
                .exists(new AbstractFunction1<LogicalPlan, Object>() {
                    @Override
                    public Object apply(LogicalPlan leaf) {
                        return leaf instanceof LocalRelation;
                    }
                });
    }

    /** A Catalyst expression as a column of the DataFrame API. */
    public static Column column(Expression expression) {
        return org.apache.spark.sql.classic.ExpressionUtils.column(expression);
    }

    /** The Catalyst expression behind a column of {@code frame} (resolved against it when the plan is analysed). */
    public static Expression expression(Column column) {
        return org.apache.spark.sql.classic.ExpressionUtils.expression(column);
    }

    /** A DataFrame over internal rows of {@code schema}; each row is copied (projected) as it is read. */
    public static Dataset<Row> dataFrame(SparkSession session, RDD<InternalRow> rows, StructType schema) {
        return ((org.apache.spark.sql.classic.SparkSession) session).internalCreateDataFrame(rows, schema, false);
    }
}
