package io.github.sparklayernorm.ml.exec.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

class CatalystArraysTest {

    @Property(tries = 100)
    void unsafeDoubleArraysAreCopiedWhole(@ForAll @IntRange(min = 0, max = 200) int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 1.5 - 7;
        }
        double[] dst = new double[n + 3];
        assertEquals(-1, CatalystArrays.copyDoubles(UnsafeArrayData.fromPrimitiveArray(values), dst, 3));
        for (int i = 0; i < n; i++) {
            assertEquals(values[i], dst[3 + i]);
        }
    }

    @Property(tries = 100)
    void unsafeFloatArraysAreCopiedWhole(@ForAll @IntRange(min = 0, max = 200) int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 0.25f + 1;
        }
        float[] dst = new float[n + 1];
        assertEquals(-1, CatalystArrays.copyFloats(UnsafeArrayData.fromPrimitiveArray(values), dst, 1));
        for (int i = 0; i < n; i++) {
            assertEquals(values[i], dst[1 + i]);
        }
    }

    @Property(tries = 100)
    void theFirstNullElementIsReportedWhereverItIs(@ForAll @IntRange(min = 1, max = 200) int n,
                                                   @ForAll @IntRange(min = 0, max = 199) int at) {
        int nullAt = at % n;
        Object[] boxed = new Object[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i == nullAt ? null : (Object) (double) i;
        }
        // The same array as Spark stores it (a null bitmap) and as a generic array.
        ArrayData unsafe = unsafeArrayOf(boxed);
        assertEquals(nullAt, CatalystArrays.copyDoubles(unsafe, new double[n], 0));
        assertEquals(nullAt, CatalystArrays.copyDoubles(new GenericArrayData(boxed), new double[n], 0));
    }

    @Property(tries = 100)
    void viewsHaveTheBytesSparkWouldWrite(@ForAll @IntRange(min = 0, max = 130) int n,
                                          @ForAll @IntRange(min = 0, max = 5) int from) {
        double[] doubles = new double[from + n];
        float[] floats = new float[from + n];
        for (int i = 0; i < doubles.length; i++) {
            doubles[i] = i * 3.25;
            floats[i] = i * -0.5f;
        }
        CatalystArrays.View view = new CatalystArrays.View();
        // A longer value first, so that the reused buffer holds stale bytes.
        view.of(new double[300], 0, 300);
        double[] expectedDoubles = java.util.Arrays.copyOfRange(doubles, from, from + n);
        assertEquals(UnsafeArrayData.fromPrimitiveArray(expectedDoubles), view.of(doubles, from, n));
        view.of(new double[300], 0, 300);
        float[] expectedFloats = java.util.Arrays.copyOfRange(floats, from, from + n);
        assertEquals(UnsafeArrayData.fromPrimitiveArray(expectedFloats), view.of(floats, from, n));
        assertArrayEquals(expectedFloats, view.of(floats, from, n).toFloatArray());
    }

    @Property(tries = 100)
    void denseVectorsHaveTheBytesSparkWouldWrite(@ForAll @IntRange(min = 0, max = 200) int n) {
        int header = CatalystArrays.denseVectorElements(n);
        double[] cell = new double[header + n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * -1.75 + 3;
            cell[header + i] = values[i];
        }
        InternalRow wrapped = CatalystArrays.wrapDenseVector(cell, n);
        // What Spark's own writer makes of VectorUDT's dense form, (1, null, null, values), in a row's column.
        DataType vectorType = new VectorUDT().sqlType();
        UnsafeRow expected = UnsafeProjection.create(new StructType().add("v", vectorType))
                .apply(new GenericInternalRow(new Object[] {
                    new GenericInternalRow(new Object[] {(byte) 1, null, null, UnsafeArrayData.fromPrimitiveArray(values)})}))
                .getStruct(0, 4);
        assertEquals(expected, wrapped);
        assertEquals(expected.hashCode(), wrapped.hashCode());
        assertEquals(Vectors.dense(values), new VectorUDT().deserialize(wrapped));
        // And Spark's writer copies it into a row as it is.
        UnsafeRow outer = UnsafeProjection.create(new StructType().add("v", vectorType))
                .apply(new GenericInternalRow(new Object[] {wrapped}));
        assertEquals(expected, outer.getStruct(0, 4));
    }

    private static ArrayData unsafeArrayOf(Object[] boxed) {
        StructType schema = new StructType().add("a", DataTypes.createArrayType(DataTypes.DoubleType, true));
        UnsafeRow row = UnsafeProjection.create(schema).apply(new GenericInternalRow(new Object[] {new GenericArrayData(boxed)}));
        return row.getArray(0);
    }
}
