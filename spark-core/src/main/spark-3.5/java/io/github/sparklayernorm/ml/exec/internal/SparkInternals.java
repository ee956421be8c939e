package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GetStructField;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.plans.logical.DeserializeToObject;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.MapPartitions;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.ObjectType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
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
     * plan (Catalyst's {@code MapPartitions}, the operator under {@code Dataset.mapPartitions}), so
     * that it runs wherever the plan runs: in every job of a batch query, and in every micro-batch
     * of a streaming one. Nothing runs here.
     *
     * <p>The node takes one object per row: the input row itself ({@link InputRow}, through
     * {@code DeserializeToObject}), and gives one per row: the output row as one struct, which the
     * projection above the node reads field by field into Spark's own row, with each field's name
     * and metadata. No row is converted to {@code Row} or to Java objects, and the input is not copied
     * on its way in. (Had the node taken a struct column made of the input's columns, each row would
     * have been copied once more, and read through Spark's generic getter, which on Spark 4.2 looks
     * the session's settings up for every row: half the speed.)
     */
    public static Dataset<Row> mapPartitions(Dataset<Row> frame, PartitionFunction function, StructType schema) {
        LogicalPlan rows = frame.logicalPlan();
        AttributeReference in = new AttributeReference("row", new ObjectType(InternalRow.class), false,
                Metadata.empty(), NamedExpression$.MODULE$.newExprId(), scala.collection.immutable.List$.MODULE$.<String>empty());
        AttributeReference out = new AttributeReference("normalized", schema, false, Metadata.empty(),
                NamedExpression$.MODULE$.newExprId(), scala.collection.immutable.List$.MODULE$.<String>empty());
        // The input's columns as a Scala list, built from Java the same way on Scala 2.12 and 2.13.
        java.util.List<Attribute> attributes = new java.util.ArrayList<>();
        rows.output().iterator().foreach(new AbstractFunction1<Attribute, Object>() {
            @Override
            public Object apply(Attribute attribute) {
                return attributes.add(attribute);
            }
        });
        scala.collection.immutable.List<Expression> columns = scala.collection.immutable.List$.MODULE$.empty();
        for (int i = attributes.size() - 1; i >= 0; i--) {
            columns = columns.$colon$colon(attributes.get(i));
        }
        LogicalPlan objects = new DeserializeToObject(new InputRow(columns), in, rows);
        LogicalPlan mapped = new MapPartitions(new CatalystPartitions(function), out, objects);
        Dataset<Row> outputs = Dataset.ofRows(frame.sparkSession(), mapped);
        StructField[] fields = schema.fields();
        Column[] selected = new Column[fields.length];
        for (int i = 0; i < fields.length; i++) {
            selected[i] = column(new GetStructField(out, i, Option.apply(fields[i].name())))
                    .as(fields[i].name(), fields[i].metadata());
        }
        return outputs.select(selected);
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
