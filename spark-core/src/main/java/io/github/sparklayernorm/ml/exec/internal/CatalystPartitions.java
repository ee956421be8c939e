package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.collection.AbstractIterator;
import scala.runtime.AbstractFunction1;

/**
 * A {@link PartitionFunction} as Catalyst's {@code MapPartitions} node calls it: on Scala iterators
 * of objects, here the input rows and the output rows' structs. The same on Scala 2.12 and 2.13.
 */
final class CatalystPartitions
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
