package io.github.sparklayernorm.ml.exec;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * Keeps a batch's input rows until their outputs are ready. Spark's row iterators reuse one row
 * object, so each row must be copied; an {@link UnsafeRow} (what Spark's operators produce) is
 * copied into one buffer that every batch reuses, and read back through views that are reused too:
 * no allocation per row. Other rows are copied the general way.
 */
final class RetainedRows {

    private final int fields;
    private byte[] buffer = new byte[1 << 16];
    private int used;
    private UnsafeRow[] views = new UnsafeRow[0];

    RetainedRows(int fields) {
        this.fields = fields;
    }

    /** Forgets the rows kept so far; views handed out before must no longer be read. */
    void clear() {
        used = 0;
    }

    /** A copy of {@code row}, valid until {@link #clear}; {@code slot} is its place in the batch. */
    InternalRow keep(InternalRow row, int slot) {
        if (!(row instanceof UnsafeRow)) {
            return row.copy();
        }
        UnsafeRow unsafe = (UnsafeRow) row;
        int size = unsafe.getSizeInBytes();
        if (buffer.length - used < size) {
            // Rows kept before stay in the old buffer, which their views still hold.
            buffer = new byte[Math.max(2 * buffer.length, used + size)];
            used = 0;
        }
        unsafe.writeToMemory(buffer, Platform.BYTE_ARRAY_OFFSET + used);
        if (views.length <= slot) {
            UnsafeRow[] grown = new UnsafeRow[Math.max(slot + 1, 2 * views.length)];
            System.arraycopy(views, 0, grown, 0, views.length);
            views = grown;
        }
        if (views[slot] == null) {
            views[slot] = new UnsafeRow(fields);
        }
        views[slot].pointTo(buffer, Platform.BYTE_ARRAY_OFFSET + used, size);
        used += size;
        return views[slot];
    }
}
