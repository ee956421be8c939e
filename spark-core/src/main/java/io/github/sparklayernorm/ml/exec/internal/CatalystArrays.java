package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * Catalyst arrays in and out of the engine's flat buffers, without boxing: an
 * {@link UnsafeArrayData} (what Spark's rows hold) is copied in one block, and results are handed
 * back as an {@code UnsafeArrayData} view that Spark's projection copies in one block. The same on
 * both Spark lines; Spark's binary array layout has been stable since 2.x: an 8-byte element
 * count, a null bitmap in 8-byte words, then the values.
 */
public final class CatalystArrays {

    private CatalystArrays() {
    }

    /**
     * Copies the elements of {@code array} into {@code dst[at, at + n)}; returns the index of the
     * first null element, or -1 when there is none (the copied values are then all there is).
     */
    public static int copyDoubles(ArrayData array, double[] dst, int at) {
        int n = array.numElements();
        if (array instanceof UnsafeArrayData) {
            return copyBlock((UnsafeArrayData) array, n, dst, Platform.DOUBLE_ARRAY_OFFSET + (long) at * Double.BYTES,
                    Double.BYTES);
        }
        for (int i = 0; i < n; i++) {
            if (array.isNullAt(i)) {
                return i;
            }
            dst[at + i] = array.getDouble(i);
        }
        return -1;
    }

    /** As {@link #copyDoubles}, for an {@code array<float>}. */
    public static int copyFloats(ArrayData array, float[] dst, int at) {
        int n = array.numElements();
        if (array instanceof UnsafeArrayData) {
            return copyBlock((UnsafeArrayData) array, n, dst, Platform.FLOAT_ARRAY_OFFSET + (long) at * Float.BYTES,
                    Float.BYTES);
        }
        for (int i = 0; i < n; i++) {
            if (array.isNullAt(i)) {
                return i;
            }
            dst[at + i] = array.getFloat(i);
        }
        return -1;
    }

    /** An UnsafeArrayData's values in one block, unless one is null: then that one's index. */
    private static int copyBlock(UnsafeArrayData array, int n, Object dst, long dstOffset, int elementSize) {
        int firstNull = firstNull(array, n);
        if (firstNull < 0) {
            Platform.copyMemory(array.getBaseObject(), array.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
                    dst, dstOffset, (long) n * elementSize);
        }
        return firstNull;
    }

    /** The first set bit of the null bitmap, read a word at a time. */
    private static int firstNull(UnsafeArrayData array, int n) {
        Object base = array.getBaseObject();
        long bitmap = array.getBaseOffset() + 8;
        for (int word = 0; word * 64 < n; word++) {
            long bits = Platform.getLong(base, bitmap + word * 8L);
            if (bits != 0) {
                return word * 64 + Long.numberOfTrailingZeros(bits);
            }
        }
        return -1;
    }

    /**
     * Elements of a {@code double[]} (or, with 4-byte elements, a {@code float[]}) that Spark's
     * header of an n-element array takes: with {@link #wrap}, a cell can be copied in after them,
     * normalized in place and handed to Spark as is, without a copy out.
     */
    public static int headerElements(int n, int elementSize) {
        return UnsafeArrayData.calculateHeaderPortionInBytes(n) / elementSize;
    }

    /**
     * The n values after the header in {@code array} (a {@code double[]} or {@code float[]} of at
     * least {@code headerElements(n) + n} elements, its header area still zero) as Spark's array:
     * the header is written, no value is copied. The array must not change afterwards.
     */
    public static ArrayData wrap(Object array, int n, int elementSize) {
        long base = elementSize == Double.BYTES ? Platform.DOUBLE_ARRAY_OFFSET : Platform.FLOAT_ARRAY_OFFSET;
        Platform.putLong(array, base, n);
        long size = UnsafeArrayData.calculateHeaderPortionInBytes(n) + (((long) n * elementSize + 7) & ~7L);
        UnsafeArrayData view = new UnsafeArrayData();
        view.pointTo(array, base, Math.toIntExact(size));
        return view;
    }

    /** Fields of a vector's Catalyst struct: type, size, indices, values. */
    private static final int VECTOR_FIELDS = 4;
    /** Bytes of an {@link UnsafeRow} of the vector struct before its variable part: null bits, four slots. */
    private static final int VECTOR_FIXED_BYTES = UnsafeRow.calculateBitSetWidthInBytes(VECTOR_FIELDS) + 8 * VECTOR_FIELDS;

    /**
     * Elements of a {@code double[]} that a dense vector of n values takes in Spark's binary row
     * format before its values: with {@link #wrapDenseVector}, a cell can be copied in after them,
     * normalized in place and handed to Spark as one {@link UnsafeRow}, which Spark's projection
     * copies in one block (a generic row would be written field by field).
     */
    public static int denseVectorElements(int n) {
        return (VECTOR_FIXED_BYTES + UnsafeArrayData.calculateHeaderPortionInBytes(n)) / Double.BYTES;
    }

    /**
     * The n values after {@link #denseVectorElements} in {@code array} (zero before them) as a
     * dense vector's Catalyst value: {@code (type 1, size null, indices null, values)}, as
     * {@code VectorUDT} serializes a dense vector, laid out as Spark's writer would lay it out.
     * No value is copied; the array must not change afterwards.
     */
    public static InternalRow wrapDenseVector(double[] array, int n) {
        long base = Platform.DOUBLE_ARRAY_OFFSET;
        int arrayBytes = UnsafeArrayData.calculateHeaderPortionInBytes(n) + n * Double.BYTES;
        // Null bits: size (1) and indices (2).
        Platform.putLong(array, base, 0b110L);
        // The type, a byte at the start of its zeroed slot.
        Platform.putByte(array, base + 8, (byte) 1);
        // The values: offset from the row's start and size, then the array itself (count, empty null bitmap).
        Platform.putLong(array, base + 8 + 3 * 8, ((long) VECTOR_FIXED_BYTES << 32) | arrayBytes);
        Platform.putLong(array, base + VECTOR_FIXED_BYTES, n);
        UnsafeRow row = new UnsafeRow(VECTOR_FIELDS);
        row.pointTo(array, base, VECTOR_FIXED_BYTES + arrayBytes);
        return row;
    }

    /** {@code values[from, from + n)} as an {@code array<double>} of its own. */
    public static ArrayData copyOf(double[] values, int from, int n) {
        return UnsafeArrayData.fromPrimitiveArray(values, Math.toIntExact(Platform.DOUBLE_ARRAY_OFFSET + from * (long) Double.BYTES), n,
                Double.BYTES);
    }

    /** {@code values[from, from + n)} as an {@code array<float>} of its own. */
    public static ArrayData copyOf(float[] values, int from, int n) {
        return UnsafeArrayData.fromPrimitiveArray(values, Math.toIntExact(Platform.FLOAT_ARRAY_OFFSET + from * (long) Float.BYTES), n,
                Float.BYTES);
    }

    /**
     * A reusable {@code array<double>} or {@code array<float>} value over values of the engine's
     * buffers: {@link #of} lays them out in Spark's binary format in a buffer this view owns and
     * returns the view. Valid until the next call, which is as long as a row is in Spark's hands
     * before it is projected.
     */
    public static final class View {
        private final UnsafeArrayData view = new UnsafeArrayData();
        private byte[] buffer = new byte[0];

        public ArrayData of(double[] values, int from, int n) {
            int at = layOut(n, Double.BYTES);
            Platform.copyMemory(values, Platform.DOUBLE_ARRAY_OFFSET + (long) from * Double.BYTES,
                    buffer, Platform.BYTE_ARRAY_OFFSET + at, (long) n * Double.BYTES);
            return view;
        }

        public ArrayData of(float[] values, int from, int n) {
            int at = layOut(n, Float.BYTES);
            Platform.copyMemory(values, Platform.FLOAT_ARRAY_OFFSET + (long) from * Float.BYTES,
                    buffer, Platform.BYTE_ARRAY_OFFSET + at, (long) n * Float.BYTES);
            return view;
        }

        /** Writes the header (count, empty null bitmap) and points the view; returns where values go. */
        private int layOut(int n, int elementSize) {
            int header = UnsafeArrayData.calculateHeaderPortionInBytes(n);
            int values = (n * elementSize + 7) & ~7;
            int size = header + values;
            if (buffer.length < size) {
                buffer = new byte[Math.max(size, buffer.length * 2)];
            }
            Platform.putLong(buffer, Platform.BYTE_ARRAY_OFFSET, n);
            Platform.setMemory(buffer, Platform.BYTE_ARRAY_OFFSET + 8, header - 8, (byte) 0);
            // The padding after float values, so that equal arrays have equal bytes.
            Platform.putLong(buffer, Platform.BYTE_ARRAY_OFFSET + size - 8, 0L);
            view.pointTo(buffer, Platform.BYTE_ARRAY_OFFSET, size);
            return header;
        }
    }
}
