package io.github.sparklayernorm.ml.plan;

import io.github.sparklayernorm.kernels.LayerNormSpec;
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
    private final LayerNormSpec spec;
    private final RowLength rowLength;
    private final StatisticsColumns statistics;
    private final transient StructType outputSchema;

    private NormalizationPlan(List<ColumnBinding> bindings, int inputWidth, LayerNormSpec spec, RowLength rowLength,
                              StatisticsColumns statistics, StructType outputSchema) {
        this.bindings = bindings;
        this.inputWidth = inputWidth;
        this.spec = spec;
        this.rowLength = rowLength;
        this.statistics = statistics;
        this.outputSchema = outputSchema;
    }

    /**
     * @param stage          how errors name the stage, e.g. {@code "LayerNormalizer layerNorm_3f2a"}
     * @param inputs         the input columns
     * @param outputs        the output columns, one per input
     * @param spec           what is computed per row (or group)
     * @param groupSize      normalize blocks of this many values, or 0 for whole rows
     * @param statistics     the statistics columns wanted
     * @param outputNullable whether outputs can be null (invalid rows kept)
     */
    public static NormalizationPlan resolve(String stage, StructType schema, String[] inputs, String[] outputs,
                                            LayerNormSpec spec, int groupSize, StatisticsColumns statistics,
                                            boolean outputNullable) {
        if (inputs.length != outputs.length) {
            throw new IllegalArgumentException(stage + ": " + inputs.length + " input columns "
                    + Arrays.toString(inputs) + " but " + outputs.length + " output columns "
                    + Arrays.toString(outputs) + "; give one output column per input column");
        }
        if (statistics.any() && inputs.length != 1) {
            throw new IllegalArgumentException(stage + ": statistics columns (meanCol, invStdDevCol) need a"
                    + " single input column, but " + inputs.length + " are set; use one stage per column");
        }
        RowLength rowLength = RowLength.of(stage, spec, groupSize);
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
            String problem = knownSize > 0 ? rowLength.problem(knownSize) : null;
            if (problem != null) {
                throw new IllegalArgumentException(stage + ": input column '" + input + "' holds vectors of size "
                        + knownSize + " (from its ML attribute metadata); such a row " + problem + "; "
                        + rowLength.fix(knownSize));
            }
            int outputSize = knownSize >= 0 ? knownSize : rowLength.fixed().orElse(-1);
            bindings.add(new ColumnBinding(input, schema.fieldIndex(input), output, type));
            fields.add(outputField(output, type, outputSize, outputNullable));
        }
        for (String statistic : new String[] {statistics.mean(), statistics.invStdDev()}) {
            if (statistic == null) {
                continue;
            }
            if (existing.contains(statistic) || !seenOutputs.add(statistic)) {
                throw new IllegalArgumentException(stage + ": statistics column '" + statistic
                        + "' already exists or is given twice; choose another name");
            }
            DataType type = rowLength.grouped() ? DataTypes.createArrayType(DataTypes.DoubleType, false)
                    : DataTypes.DoubleType;
            fields.add(new StructField(statistic, type, outputNullable, Metadata.empty()));
        }
        return new NormalizationPlan(bindings, schema.size(), spec, rowLength, statistics,
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

    /** What is computed per row (or group). */
    public LayerNormSpec spec() {
        return spec;
    }

    /** How long a cell may be. */
    public RowLength rowLength() {
        return rowLength;
    }

    /** The statistics columns, which follow the outputs. */
    public StatisticsColumns statistics() {
        return statistics;
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
