package io.github.sparklayernorm.ml.exec;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * Keeps a batch's input rows until their outputs are ready. Spark's row iterators reuse one row
 * object, so each row must be copied; an {@link UnsafeRow} (what Spark's operators produce) is
 * copied into one buffer that every batch reuses, and read back through views that are reused too:
 * no allocation per row. Other rows are copied the general way.
 *
 * <p>A batch is bounded by the values it normalizes, but its rows may carry much more (a wide
 * binary column beside a short vector): once the rows kept reach {@link #BUDGET_BYTES}, the batch
 * is {@link #full}, so a task holds at most about that much input, whatever the rows carry.
 */
final class RetainedRows {

    /** The input bytes a batch keeps before it is full (at least one row is always kept). */
    static final int BUDGET_BYTES = 32 << 20;
    /** The longest array the JVM allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final int fields;
    private byte[] buffer = new byte[1 << 16];
    private int used;
    /** Bytes of the rows kept since {@link #clear}, in this buffer and in earlier ones. */
    private long kept;
    private UnsafeRow[] views = new UnsafeRow[0];

    RetainedRows(int fields) {
        this.fields = fields;
    }

    /** Forgets the rows kept so far; views handed out before must no longer be read. */
    void clear() {
        used = 0;
        kept = 0;
    }

    /** Whether the rows kept since {@link #clear} have reached the budget: the batch takes no more. */
    boolean full() {
        return kept >= BUDGET_BYTES;
    }

    /** A copy of {@code row}, valid until {@link #clear}; {@code slot} is its place in the batch. */
    InternalRow keep(InternalRow row, int slot) {
        if (!(row instanceof UnsafeRow)) {
            return row.copy();
        }
        UnsafeRow unsafe = (UnsafeRow) row;
        int size = unsafe.getSizeInBytes();
        if (buffer.length - used < size) {
            // Rows kept before stay in the old buffer, which their views still hold; the new one
            // starts empty, so it needs room for this row, and grows no further than the budget
            // (or the row) calls for.
            buffer = new byte[(int) Math.min(MAX_ARRAY, Math.max(size, Math.min(2L * buffer.length, BUDGET_BYTES)))];
            used = 0;
        }
        kept += size;
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
