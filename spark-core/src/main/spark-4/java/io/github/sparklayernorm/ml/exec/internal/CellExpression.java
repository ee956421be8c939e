package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * The base of the stage's Catalyst expressions: one child (the input cell) and the
 * {@link CellFunction} that does the work. What differs between the Spark lines is here: the
 * Scala collections of the tree's children (scala.collection.immutable.Seq on this line). Spark's own
 * {@code UnaryExpression} cannot be extended from Java: its final, raw {@code withNewChildrenInternal}
 * hides the generic one from javac.
 */
public abstract class CellExpression extends Expression implements Serializable {
    private static final long serialVersionUID = 1L;

    protected final Expression child;
    protected final CellFunction normalizer;
    private final scala.collection.immutable.List<Expression> children;

    protected CellExpression(Expression child, CellFunction normalizer) {
        this.child = child;
        this.normalizer = normalizer;
        this.children = GeneratedCode.listOf(child);
    }

    /** The same expression over another child. */
    protected abstract CellExpression withChild(Expression newChild);

    @Override
    public scala.collection.immutable.List<Expression> children() {
        return children;
    }

    @Override
    public Expression withNewChildrenInternal(scala.collection.immutable.IndexedSeq<Expression> newChildren) {
        return withChild(newChildren.apply(0));
    }

    @Override
    public int productArity() {
        return 2;
    }

    @Override
    public Object productElement(int n) {
        switch (n) {
            case 0:
                return child;
            case 1:
                return normalizer;
            default:
                throw new IndexOutOfBoundsException(String.valueOf(n));
        }
    }

    @Override
    public boolean canEqual(Object that) {
        return that != null && that.getClass() == getClass();
    }

    /** Equal for the same stage's column over an equal child: the normalizer is compared by identity. */
    @Override
    public boolean equals(Object o) {
        return canEqual(o) && ((CellExpression) o).normalizer == normalizer && ((CellExpression) o).child.equals(child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(getClass(), child, System.identityHashCode(normalizer));
    }
}
