package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * The base of the stage's Catalyst expressions, for this Spark line: the Scala collections of the
 * tree's children (scala.collection.Seq here), the one thing that differs between lines. Spark's own
 * {@code UnaryExpression} cannot be extended from Java: its final, raw {@code withNewChildrenInternal}
 * hides the generic one from javac.
 */
public abstract class CellExpression extends CellExpressionBase {
    private static final long serialVersionUID = 1L;

    private final scala.collection.immutable.List<Expression> children;

    protected CellExpression(Expression child, CellFunction normalizer) {
        super(child, normalizer);
        this.children = GeneratedCode.listOf(child);
    }

    /** The same expression over another child. */
    protected abstract CellExpression withChild(Expression newChild);

    @Override
    public scala.collection.immutable.List<Expression> children() {
        return children;
    }

    @Override
    public Expression withNewChildrenInternal(scala.collection.IndexedSeq<Expression> newChildren) {
        return withChild(newChildren.apply(0));
    }
}
