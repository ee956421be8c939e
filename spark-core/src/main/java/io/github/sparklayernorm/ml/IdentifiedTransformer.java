package io.github.sparklayernorm.ml;

import org.apache.spark.ml.Transformer;

/**
 * A transformer whose uid is set before its subclasses' fields are built: a Spark {@code Param}
 * takes its parent's uid when it is constructed, so with the uid here a subclass can build each
 * param where it declares it.
 */
public abstract class IdentifiedTransformer extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;

    protected IdentifiedTransformer(String uid) {
        this.uid = uid;
    }

    @Override
    public final String uid() {
        return uid;
    }
}
