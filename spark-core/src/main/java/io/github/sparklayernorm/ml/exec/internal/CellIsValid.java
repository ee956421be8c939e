package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.catalyst.expressions.codegen.FalseLiteral$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code handleInvalid = skip} as a filter the optimizer sees: true when the cell can be
 * normalized ({@link CellFunction#isValid}), which also counts the row as read, and as skipped
 * when it is not.
 */
public final class CellIsValid extends CellExpression {
    private static final long serialVersionUID = 1L;

    public CellIsValid(Expression child, CellFunction normalizer) {
        super(child, normalizer);
    }

    @Override
    protected CellExpression withChild(Expression newChild) {
        return new CellIsValid(newChild, normalizer);
    }

    @Override
    public DataType dataType() {
        return DataTypes.BooleanType;
    }

    @Override
    public boolean nullable() {
        return false;
    }

    @Override
    public Object eval(InternalRow input) {
        return normalizer.isValid(child.eval(input));
    }

    @Override
    public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
        String normalizer = ctx.addReferenceObj("cellFunction", this.normalizer, CellFunction.class.getName());
        ExprCode cell = child.genCode(ctx);
        String code = cell.code() + "\nboolean " + ev.value() + " = " + normalizer + ".isValid(" + cell.isNull()
                + " ? null : " + cell.value() + ");\n";
        return ev.copy(GeneratedCode.block(code), FalseLiteral$.MODULE$, ev.value());
    }

    @Override
    public String prettyName() {
        return "sparklayernorm_valid";
    }
}
