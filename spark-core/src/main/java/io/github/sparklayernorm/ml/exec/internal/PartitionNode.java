package io.github.sparklayernorm.ml.exec.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GetStructField;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.plans.logical.DeserializeToObject;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.MapPartitions;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.ObjectType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.runtime.AbstractFunction1;

/**
 * A {@link PartitionFunction} as a node of a query plan, built the same way on every Spark line
 * ({@code SparkInternals.mapPartitions} makes the DataFrame): Catalyst's {@code MapPartitions}, the
 * operator under {@code Dataset.mapPartitions}, so that it runs wherever the plan runs, in every job
 * of a batch query and in every micro-batch of a streaming one.
 *
 * <p>The node takes one object per row: the input row itself ({@link InputRowBase}, through
 * {@code DeserializeToObject}), and gives one per row: the output row as one struct, which the
 * projection above the node reads field by field into Spark's own row ({@link #columns}), with each
 * field's name and metadata. No row is converted to {@code Row} or to Java objects, and the input is
 * not copied on its way in. (Had the node taken a struct column made of the input's columns, each
 * row would have been copied once more, and read through Spark's generic getter, which on Spark 4.2
 * looks the session's settings up for every row: half the speed.)
 */
final class PartitionNode {

    private final StructType schema;
    private final AttributeReference out;
    private final LogicalPlan plan;

    /**
     * @param rows the input's plan
     * @param schema the output rows' schema
     * @param inputRow this Spark line's {@link InputRowBase} over the given columns
     */
    PartitionNode(LogicalPlan rows, PartitionFunction function, StructType schema,
                  Function<scala.collection.immutable.List<Expression>, Expression> inputRow) {
        this.schema = schema;
        AttributeReference in = attribute("row", new ObjectType(InternalRow.class));
        out = attribute("normalized", schema);
        // The input's columns as a Scala list, built from Java the same way on Scala 2.12 and 2.13.
        List<Attribute> attributes = new ArrayList<>();
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
        LogicalPlan objects = new DeserializeToObject(inputRow.apply(columns), in, rows);
        plan = new MapPartitions(new CatalystPartitions(function), out, objects);
    }

    private static AttributeReference attribute(String name, org.apache.spark.sql.types.DataType type) {
        return new AttributeReference(name, type, false, Metadata.empty(), NamedExpression$.MODULE$.newExprId(),
                scala.collection.immutable.List$.MODULE$.<String>empty());
    }

    /** The plan whose one column holds each output row as a struct. */
    LogicalPlan plan() {
        return plan;
    }

    /** The output's columns, read out of the struct, with their names and metadata; {@code column} as this line makes columns. */
    Column[] columns(Function<Expression, Column> column) {
        StructField[] fields = schema.fields();
        Column[] selected = new Column[fields.length];
        for (int i = 0; i < fields.length; i++) {
            selected[i] = column.apply(new GetStructField(out, i, Option.apply(fields[i].name())))
                    .as(fields[i].name(), fields[i].metadata());
        }
        return selected;
    }
}
