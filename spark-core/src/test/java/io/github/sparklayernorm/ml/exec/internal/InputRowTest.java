package io.github.sparklayernorm.ml.exec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/** The batched path's node takes the input row itself when its columns are the row's, in order. */
class InputRowTest {

    private static scala.collection.immutable.List<Expression> columns(int... ordinals) {
        scala.collection.immutable.List<Expression> list = scala.collection.immutable.List$.MODULE$.empty();
        for (int i = ordinals.length - 1; i >= 0; i--) {
            list = list.$colon$colon(new BoundReference(ordinals[i], DataTypes.IntegerType, true));
        }
        return list;
    }

    @Test
    void columnsInTheRowsOrderGiveTheRowItself() {
        InternalRow row = new GenericInternalRow(new Object[] {1, 2, 3});
        assertSame(row, new SparkInternals.InputRow(columns(0, 1, 2)).eval(row));
    }

    @Test
    void otherColumnsGiveARowOfTheirValues() {
        InternalRow row = new GenericInternalRow(new Object[] {1, 2, 3});
        InternalRow reordered = (InternalRow) new SparkInternals.InputRow(columns(2, 0)).eval(row);
        assertNotSame(row, reordered);
        assertEquals(2, reordered.numFields());
        assertEquals(3, reordered.getInt(0));
        assertEquals(1, reordered.getInt(1));
        InternalRow prefix = (InternalRow) new SparkInternals.InputRow(columns(0, 1)).eval(row);
        assertEquals(2, prefix.numFields(), "a row with more fields than the columns is not the object");
    }
}
