package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.catalyst.expressions.codegen.FalseLiteral$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.ObjectType;

/**
 * The input row itself, as an object of the plan: the object {@code DeserializeToObject} hands
 * to the batched path's node. Bound to the input's columns in their order (as Spark binds it
 * before it runs), it is the row Spark's operator below produced, not a copy; bound otherwise, a
 * row of its columns' values. The per-line {@code SparkInternals.InputRow} adds the one method whose
 * Scala collection differs between the lines.
 */
public abstract class InputRowBase extends Expression implements Serializable {
    private static final long serialVersionUID = 1L;
    protected final scala.collection.immutable.List<Expression> columns;
    /** Whether the columns are the input row's own fields, in order: then the row is the object. */
    private transient Boolean inOrder;

    protected InputRowBase(scala.collection.immutable.List<Expression> columns) {
        this.columns = columns;
    }

    @Override
    public scala.collection.immutable.List<Expression> children() {
        return columns;
    }

    @Override
    public DataType dataType() {
        return new ObjectType(InternalRow.class);
    }

    @Override
    public boolean nullable() {
        return false;
    }

    @Override
    public boolean foldable() {
        return false;
    }

    @Override
    public Object eval(InternalRow input) {
        if (inOrder == null) {
            boolean same = true;
            scala.collection.Iterator<Expression> each = columns.iterator();
            for (int i = 0; each.hasNext(); i++) {
                Expression column = each.next();
                same &= column instanceof BoundReference && ((BoundReference) column).ordinal() == i;
            }
            inOrder = same;
        }
        if (inOrder && input.numFields() == columns.size()) {
            return input;
        }
        Object[] values = new Object[columns.size()];
        scala.collection.Iterator<Expression> each = columns.iterator();
        for (int i = 0; each.hasNext(); i++) {
            values[i] = each.next().eval(input);
        }
        return new GenericInternalRow(values);
    }

    /** The row through {@link #eval} (one call per row, no boxing): generated code holds this expression. */
    @Override
    public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
        if (ctx.INPUT_ROW() == null) {
            // Spark generates code over a row for operators that output objects, never over
            // the column variables of a fused stage.
            throw new IllegalStateException("the input row is not at hand in this generated code");
        }
        String self = ctx.addReferenceObj("inputRow", this, InputRowBase.class.getName());
        String code = "org.apache.spark.sql.catalyst.InternalRow " + ev.value() + " = (org.apache.spark.sql.catalyst.InternalRow) "
                + self + ".eval(" + ctx.INPUT_ROW() + ");\n";
        return ev.copy(GeneratedCode.block(code), FalseLiteral$.MODULE$, ev.value());
    }

    @Override
    public int productArity() {
        return 1;
    }

    @Override
    public Object productElement(int n) {
        if (n != 0) {
            throw new IndexOutOfBoundsException(String.valueOf(n));
        }
        return columns;
    }

    @Override
    public boolean canEqual(Object that) {
        return that instanceof InputRowBase;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputRowBase && ((InputRowBase) o).columns.equals(columns);
    }

    @Override
    public int hashCode() {
        return columns.hashCode();
    }
}
