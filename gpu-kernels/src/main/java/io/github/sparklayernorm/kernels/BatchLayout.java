package io.github.sparklayernorm.kernels;

import java.util.Arrays;

/**
 * Where the rows of a flat batch lie: row {@code r} occupies {@code [start(r), start(r) + length(r))}
 * of the value array, for input and output alike.
 *
 * <p>Offsets rather than one row length, because a Spark column may hold rows of different
 * lengths when no scale or shift fixes it. A GPU kernel takes the same offsets array as is.
 */
public final class BatchLayout {

    private final int[] offsets;
    private final int maxRowLength;

    private BatchLayout(int[] offsets) {
        this.offsets = offsets;
        int max = 0;
        for (int r = 0; r + 1 < offsets.length; r++) {
            int length = offsets[r + 1] - offsets[r];
            if (length < 0 || offsets[r] < 0) {
                throw new IllegalArgumentException("row offsets must be non-negative and non-decreasing, "
                        + "but row " + r + " spans [" + offsets[r] + ", " + offsets[r + 1] + ")");
            }
            max = Math.max(max, length);
        }
        this.maxRowLength = max;
    }

    /** {@code rows} rows of {@code rowLength} values each, back to back from index 0. */
    public static BatchLayout uniform(int rows, int rowLength) {
        if (rows < 0 || rowLength < 0) {
            throw new IllegalArgumentException("rows and rowLength must be >= 0, got " + rows + " x " + rowLength);
        }
        if ((long) rows * rowLength > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch of " + rows + " x " + rowLength
                    + " values does not fit in one Java array; use smaller batches");
        }
        int[] offsets = new int[rows + 1];
        for (int r = 1; r <= rows; r++) {
            offsets[r] = offsets[r - 1] + rowLength;
        }
        return new BatchLayout(offsets);
    }

    /**
     * Rows given by {@code rowCount + 1} offsets: row {@code r} spans {@code [offsets[r], offsets[r+1])}.
     * The array is taken as is, not copied: the caller must not change it while the layout is in use.
     */
    public static BatchLayout ofOffsets(int[] offsets, int rowCount) {
        if (rowCount < 0 || offsets.length < rowCount + 1) {
            throw new IllegalArgumentException("need rowCount + 1 = " + (rowCount + 1)
                    + " offsets, got " + offsets.length);
        }
        return new BatchLayout(offsets.length == rowCount + 1 ? offsets : Arrays.copyOf(offsets, rowCount + 1));
    }

    public int rowCount() {
        return offsets.length - 1;
    }

    public int start(int row) {
        return offsets[row];
    }

    public int length(int row) {
        return offsets[row + 1] - offsets[row];
    }

    /** One past the last value of the last row: the array length the batch needs. */
    public int end() {
        return offsets[offsets.length - 1];
    }

    public int maxRowLength() {
        return maxRowLength;
    }
}
