package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.catalyst.expressions.codegen.FalseLiteral$;
import org.apache.spark.sql.types.DataType;

/**
 * A column normalized cell by cell, as a Catalyst expression: Spark's optimizer sees it (column
 * pruning, collapsed projections), and whole-stage code generation calls {@link CellFunction}
 * from the generated code with the cell's value as Spark holds it (no conversion to a
 * {@code Vector} or to boxed numbers). The output is null only under {@code handleInvalid = keep}.
 */
public final class NormalizeCell extends CellExpression {
    private static final long serialVersionUID = 1L;

    public NormalizeCell(Expression child, CellFunction normalizer) {
        super(child, normalizer);
    }

    @Override
    protected CellExpression withChild(Expression newChild) {
        return new NormalizeCell(newChild, normalizer);
    }

    @Override
    public DataType dataType() {
        return normalizer.outputType();
    }

    @Override
    public boolean nullable() {
        return normalizer.nullableOutput();
    }

    @Override
    public Object eval(InternalRow input) {
        return normalizer.normalize(child.eval(input));
    }

    /**
     * Calls the normalizer for every row, a null cell included (it fails it, or counts it and
     * gives null): Spark's usual null shortcut would skip both.
     */
    @Override
    public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
        String normalizer = ctx.addReferenceObj("cellFunction", this.normalizer, CellFunction.class.getName());
        String javaType = CodeGenerator.javaType(dataType());
        ExprCode cell = child.genCode(ctx);
        String code = cell.code() + "\n" + javaType + " " + ev.value() + " = (" + javaType + ") " + normalizer
                + ".normalize(" + cell.isNull() + " ? null : " + cell.value() + ");\n";
        if (!nullable()) {
            return ev.copy(GeneratedCode.block(code), FalseLiteral$.MODULE$, ev.value());
        }
        code += "boolean " + ev.isNull() + " = " + ev.value() + " == null;\n";
        return ev.copy(GeneratedCode.block(code), ev.isNull(), ev.value());
    }

    @Override
    public String prettyName() {
        return "sparklayernorm";
    }
}
