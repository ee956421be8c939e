package io.github.sparklayernorm.ml;

import static io.github.sparklayernorm.ml.TestRows.DOUBLES;
import static io.github.sparklayernorm.ml.TestRows.VECTOR;
import static io.github.sparklayernorm.ml.TestRows.field;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Schema problems are refused by transformSchema, before any job runs, with a message that says what to do. */
class LayerNormalizerSchemaTest {

    private static final StructType SCHEMA = new StructType(new StructField[] {
        field("id", DataTypes.IntegerType), field("x", VECTOR), field("d", DOUBLES),
        field("s", DataTypes.StringType), new AttributeGroup("sized", 4).toStructField()});

    private static void assertRefused(LayerNormalizer ln, String... expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ln.transformSchema(SCHEMA));
        for (String part : expected) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("LayerNormalizer " + ln.uid()), e.getMessage());
    }

    @Test
    void missingInputColumnIsRefused() {
        assertRefused(new LayerNormalizer().setInputCol("nope").setOutputCol("y"),
                "input column 'nope' does not exist", "[id, x, d, s, sized]");
    }

    @Test
    void unsupportedColumnTypeIsRefused() {
        assertRefused(new LayerNormalizer().setInputCol("s").setOutputCol("y"),
                "input column 's' has type string", "array<double>", "VectorAssembler");
    }

    @Test
    void existingOutputColumnIsRefused() {
        assertRefused(new LayerNormalizer().setInputCol("x").setOutputCol("d"),
                "output column 'd' already exists", "choose another output name");
    }

    @Test
    void singleAndMultiColumnParamsTogetherAreRefused() {
        assertRefused(new LayerNormalizer().setInputCol("x").setInputCols(new String[] {"d"}),
                "both inputCol and inputCols are set");
        assertRefused(new LayerNormalizer().setInputCol("x").setOutputCols(new String[] {"y"}),
                "inputCol is set with outputCols");
        assertRefused(new LayerNormalizer().setInputCols(new String[] {"x"}).setOutputCol("y"),
                "inputCols is set with outputCol");
    }

    @Test
    void noInputColumnIsRefused() {
        assertRefused(new LayerNormalizer(), "no input column");
    }

    @Test
    void emptyInputColsAreRefused() {
        assertRefused(new LayerNormalizer().setInputCols(new String[0]).setOutputCols(new String[0]),
                "inputCols is empty");
    }

    @Test
    void inputColsWithoutMatchingOutputColsAreRefused() {
        assertRefused(new LayerNormalizer().setInputCols(new String[] {"x", "d"}), "outputCols is not");
        assertRefused(new LayerNormalizer().setInputCols(new String[] {"x", "d"}).setOutputCols(new String[] {"y"}),
                "2 input columns", "1 output columns");
    }

    @Test
    void duplicateOutputColumnsAreRefused() {
        assertRefused(new LayerNormalizer().setInputCols(new String[] {"x", "d"}).setOutputCols(new String[] {"y", "y"}),
                "output column 'y' is given twice");
    }

    @Test
    void scaleAndShiftOfDifferentLengthsAreRefused() {
        assertRefused(new LayerNormalizer().setInputCol("x").setOutputCol("y")
                .setScale(new double[] {1, 2}).setShift(new double[] {1, 2, 3}), "scale has 2 values but shift has 3");
    }

    @Test
    void scaleLengthOtherThanTheKnownVectorSizeIsRefused() {
        assertRefused(new LayerNormalizer().setInputCol("sized").setOutputCol("y").setScale(new double[] {1, 2, 3}),
                "input column 'sized' holds vectors of size 4", "scale/shift have 3;");
    }

    @Test
    void validSchemaGainsTheOutputColumns() {
        StructType out = new LayerNormalizer().setInputCols(new String[] {"x", "d"})
                .setOutputCols(new String[] {"x2", "d2"}).transformSchema(SCHEMA);
        assertEquals(SCHEMA.size() + 2, out.size());
        assertEquals(VECTOR, out.apply("x2").dataType());
        assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), out.apply("d2").dataType());
    }
}
