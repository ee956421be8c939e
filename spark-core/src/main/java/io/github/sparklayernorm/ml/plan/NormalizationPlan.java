package io.github.sparklayernorm.ml.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The schema side of a normalizer: checks an input schema against the stage's columns and
 * parameters, before any job runs, and says what the output schema is.
 *
 * <p>Every refusal is an {@link IllegalArgumentException} that names the stage and the column and
 * says what to do about it.
 */
public final class NormalizationPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<ColumnBinding> bindings;
    private final int inputWidth;
    private final int groupSize;
    private final boolean meanColumn;
    private final boolean invStdDevColumn;
    private final transient StructType outputSchema;

    private NormalizationPlan(List<ColumnBinding> bindings, int inputWidth, int groupSize, boolean meanColumn,
                              boolean invStdDevColumn, StructType outputSchema) {
        this.bindings = bindings;
        this.inputWidth = inputWidth;
        this.groupSize = groupSize;
        this.meanColumn = meanColumn;
        this.invStdDevColumn = invStdDevColumn;
        this.outputSchema = outputSchema;
    }

    /**
     * @param stage          how errors name the stage, e.g. {@code "LayerNormalizer layerNorm_3f2a"}
     * @param inputs         the input columns
     * @param outputs        the output columns, one per input
     * @param rowLength      the length every row must have (from scale/shift), or -1
     * @param groupSize      normalize blocks of this many values, or 0 for whole rows
     * @param statistics     the mean and inverse-deviation column names, each {@code null} if not wanted
     * @param outputNullable whether outputs can be null (invalid rows kept)
     */
    public static NormalizationPlan resolve(String stage, StructType schema, String[] inputs, String[] outputs,
                                            int rowLength, int groupSize, String[] statistics,
                                            boolean outputNullable) {
        if (inputs.length != outputs.length) {
            throw new IllegalArgumentException(stage + ": " + inputs.length + " input columns "
                    + Arrays.toString(inputs) + " but " + outputs.length + " output columns "
                    + Arrays.toString(outputs) + "; give one output column per input column");
        }
        Set<String> existing = new HashSet<>(Arrays.asList(schema.fieldNames()));
        Set<String> seenOutputs = new HashSet<>();
        List<ColumnBinding> bindings = new ArrayList<>();
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        for (int c = 0; c < inputs.length; c++) {
            String input = inputs[c];
            String output = outputs[c];
            if (!existing.contains(input)) {
                throw new IllegalArgumentException(stage + ": input column '" + input
                        + "' does not exist; the columns are " + Arrays.toString(schema.fieldNames()));
            }
            StructField field = schema.apply(input);
            ColumnType type = ColumnType.of(field.dataType());
            if (type == null) {
                throw new IllegalArgumentException(stage + ": input column '" + input + "' has type "
                        + field.dataType().simpleString() + ", but a normalizer reads " + ColumnType.SUPPORTED
                        + "; assemble numeric columns with VectorAssembler or cast the array");
            }
            if (existing.contains(output)) {
                throw new IllegalArgumentException(stage + ": output column '" + output
                        + "' already exists; choose another output name or drop that column first");
            }
            if (!seenOutputs.add(output)) {
                throw new IllegalArgumentException(stage + ": output column '" + output
                        + "' is given twice; every output column needs its own name");
            }
            int knownSize = type == ColumnType.VECTOR ? AttributeGroup.fromStructField(field).size() : -1;
            if (groupSize > 0 && knownSize >= 0 && knownSize % groupSize != 0) {
                throw new IllegalArgumentException(stage + ": input column '" + input + "' holds vectors of size "
                        + knownSize + " (from its ML attribute metadata), not a multiple of groupSize " + groupSize
                        + "; choose a groupSize that divides the row length");
            }
            if (rowLength >= 0 && knownSize >= 0 && knownSize != rowLength) {
                throw new IllegalArgumentException(stage + ": input column '" + input + "' holds vectors of size "
                        + knownSize + " (from its ML attribute metadata), but scale/shift have " + rowLength
                        + " values; give scale and shift " + knownSize + " values each");
            }
            int outputSize = knownSize >= 0 ? knownSize : rowLength;
            bindings.add(new ColumnBinding(input, schema.fieldIndex(input), output, type));
            fields.add(outputField(output, type, outputSize, outputNullable));
        }
        for (String statistic : statistics) {
            if (statistic == null) {
                continue;
            }
            if (existing.contains(statistic) || !seenOutputs.add(statistic)) {
                throw new IllegalArgumentException(stage + ": statistics column '" + statistic
                        + "' already exists or is given twice; choose another name");
            }
            DataType type = groupSize > 0 ? DataTypes.createArrayType(DataTypes.DoubleType, false) : DataTypes.DoubleType;
            fields.add(new StructField(statistic, type, outputNullable, Metadata.empty()));
        }
        return new NormalizationPlan(bindings, schema.size(), groupSize, statistics[0] != null, statistics[1] != null,
                new StructType(fields.toArray(new StructField[0])));
    }

    /** As MLlib's own transformers do, a vector output carries its size in ML attribute metadata. */
    private static StructField outputField(String name, ColumnType type, int size, boolean nullable) {
        Metadata metadata = Metadata.empty();
        if (type == ColumnType.VECTOR) {
            AttributeGroup group = size >= 0 ? new AttributeGroup(name, size) : new AttributeGroup(name);
            metadata = group.toMetadata();
        }
        return new StructField(name, type.outputType(), nullable, metadata);
    }

    public List<ColumnBinding> bindings() {
        return bindings;
    }

    /** Values per group, or 0 for whole rows. */
    public int groupSize() {
        return groupSize;
    }

    /** Whether a mean column follows the outputs. */
    public boolean meanColumn() {
        return meanColumn;
    }

    /** Whether an inverse-deviation column follows the outputs (and the mean column). */
    public boolean invStdDevColumn() {
        return invStdDevColumn;
    }

    /** The number of columns of the input rows; outputs follow them in binding order. */
    public int inputWidth() {
        return inputWidth;
    }

    /** The input schema with the output columns appended. Driver side only. */
    public StructType outputSchema() {
        return outputSchema;
    }
}
