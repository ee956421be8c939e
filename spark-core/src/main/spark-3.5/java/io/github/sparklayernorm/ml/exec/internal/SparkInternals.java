package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GetStructField;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.catalyst.plans.logical.DeserializeToObject;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.MapPartitions;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.ObjectType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.collection.AbstractIterator;
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
     * <p>The node takes one object per row: the input row's columns travel as one struct (one copy,
     * by Spark's generated projection), handed over as an object ({@code DeserializeToObject} of
     * {@link #asObject}: the struct itself, not converted), and each output row comes back as one
     * struct, which the projection above the node reads field by field into Spark's own row, with
     * each field's name and metadata. No row is converted to {@code Row} or to Java objects. (Had the
     * node taken the struct column as it is, Spark would read each row's struct through the generic
     * getter, which on Spark 4.2 looks the session's settings up for every row: twice the time.)
     */
    public static Dataset<Row> mapPartitions(Dataset<Row> frame, PartitionFunction function, StructType schema) {
        Column[] inputs = new Column[frame.columns().length];
        scala.collection.Iterator<Attribute> attributes = frame.logicalPlan().output().iterator();
        for (int i = 0; attributes.hasNext(); i++) {
            inputs[i] = column(attributes.next());
        }
        Dataset<Row> rows = frame.select(functions.struct(inputs).as("rows"));
        LogicalPlan structs = rows.logicalPlan();
        AttributeReference in = new AttributeReference("row", new ObjectType(InternalRow.class), false,
                Metadata.empty(), NamedExpression$.MODULE$.newExprId(), scala.collection.immutable.List$.MODULE$.<String>empty());
        AttributeReference out = new AttributeReference("normalized", schema, false, Metadata.empty(),
                NamedExpression$.MODULE$.newExprId(), scala.collection.immutable.List$.MODULE$.<String>empty());
        LogicalPlan objects = new DeserializeToObject(asObject(structs.output().head()), in, structs);
        LogicalPlan mapped = new MapPartitions(new CatalystPartitions(function), out, objects);
        Dataset<Row> outputs = Dataset.ofRows(frame.sparkSession(), mapped);
        StructField[] fields = schema.fields();
        Column[] columns = new Column[fields.length];
        for (int i = 0; i < fields.length; i++) {
            columns[i] = column(new GetStructField(out, i, Option.apply(fields[i].name())))
                    .as(fields[i].name(), fields[i].metadata());
        }
        return outputs.select(columns);
    }

    /** The input row's struct as an object of the plan: Spark's StaticInvoke of {@link #asObject}. */
    private static Expression asObject(Expression struct) {
        return new StaticInvoke(SparkInternals.class, new ObjectType(InternalRow.class), "asObject",
                GeneratedCode.listOf(struct), scala.collection.immutable.List$.MODULE$.<AbstractDataType>empty(),
                false, false, true);
    }

    /** What the plan's {@code DeserializeToObject} calls for each row: the row's struct, as it is. */
    public static InternalRow asObject(InternalRow struct) {
        return struct;
    }

    /** The function as Catalyst's node calls it: on Scala iterators of objects, here the rows' structs. */
    private static final class CatalystPartitions
            extends AbstractFunction1<scala.collection.Iterator<Object>, scala.collection.Iterator<Object>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final PartitionFunction function;

        CatalystPartitions(PartitionFunction function) {
            this.function = function;
        }

        @Override
        public scala.collection.Iterator<Object> apply(scala.collection.Iterator<Object> structs) {
            Iterator<InternalRow> rows = function.apply(new Iterator<InternalRow>() {
                @Override
                public boolean hasNext() {
                    return structs.hasNext();
                }

                @Override
                public InternalRow next() {
                    return (InternalRow) structs.next();
                }
            });
            return new AbstractIterator<Object>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Object next() {
                    return rows.next();
                }
            };
        }
    }
}
