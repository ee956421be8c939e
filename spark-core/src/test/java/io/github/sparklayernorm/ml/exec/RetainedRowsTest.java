package io.github.sparklayernorm.ml.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

class RetainedRowsTest {

    private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType).add("s", DataTypes.StringType);

    @Test
    void keptRowsSurviveTheReuseOfTheInputRowAndTheGrowthOfTheBuffer() {
        UnsafeProjection projection = UnsafeProjection.create(SCHEMA);
        RetainedRows retained = new RetainedRows(2);
        List<InternalRow> kept = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            // One projection, one reused output row: as Spark's iterators hand rows out.
            UnsafeRow row = projection.apply(new GenericInternalRow(new Object[] {(long) i, UTF8String.fromString("x".repeat(i * 7))}));
            kept.add(retained.keep(row, i));
        }
        for (int i = 0; i < 500; i++) {
            assertEquals(i, kept.get(i).getLong(0));
            assertEquals("x".repeat(i * 7), kept.get(i).getUTF8String(1).toString());
        }
    }

    @Test
    void otherRowsAreCopied() {
        GenericInternalRow row = new GenericInternalRow(new Object[] {7L, UTF8String.fromString("a")});
        InternalRow kept = new RetainedRows(2).keep(row, 0);
        row.update(0, 8L);
        assertNotSame(row, kept);
        assertEquals(7L, kept.getLong(0));
    }
    /** Wide rows fill a batch by their bytes: once the budget is reached it takes no more, until cleared. */
    @Test
    void aBatchIsFullOnceItsRowsReachTheByteBudget() {
        UnsafeProjection projection = UnsafeProjection.create(SCHEMA);
        RetainedRows retained = new RetainedRows(2);
        String mebibyte = "x".repeat(1 << 20);
        int kept = 0;
        while (!retained.full()) {
            UnsafeRow row = projection.apply(new GenericInternalRow(new Object[] {(long) kept,
                UTF8String.fromString(mebibyte)}));
            InternalRow copy = retained.keep(row, kept++);
            assertEquals(1 << 20, copy.getUTF8String(1).numBytes());
        }
        assertEquals(RetainedRows.BUDGET_BYTES >> 20, kept, "rows of a little over 1 MiB each");
        retained.clear();
        org.junit.jupiter.api.Assertions.assertFalse(retained.full());
    }
}
