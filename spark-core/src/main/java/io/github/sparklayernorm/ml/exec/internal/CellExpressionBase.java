package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * What the stage's Catalyst expressions share on every Spark line: one child (the input cell),
 * the {@link CellFunction} that does the work, never folded on the driver (a literal input is
 * normalized, and counted, in the tasks), and the tree's product and equality. The per-line
 * {@code CellExpression} adds the Scala collections of the children.
 */
public abstract class CellExpressionBase extends Expression implements Serializable {
    private static final long serialVersionUID = 1L;

    protected final Expression child;
    protected final CellFunction normalizer;

    protected CellExpressionBase(Expression child, CellFunction normalizer) {
        this.child = child;
        this.normalizer = normalizer;
    }

    @Override
    public boolean foldable() {
        return false;
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
        return canEqual(o) && ((CellExpressionBase) o).normalizer == normalizer
                && ((CellExpressionBase) o).child.equals(child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(getClass(), child, System.identityHashCode(normalizer));
    }
}
