package io.github.sparklayernorm.ml;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.ml.exec.HandleInvalid;
import io.github.sparklayernorm.ml.exec.PartitionNormalizer;
import io.github.sparklayernorm.ml.exec.RowsByBackend;
import io.github.sparklayernorm.ml.param.HasBackend;
import io.github.sparklayernorm.ml.param.HasBatchSize;
import io.github.sparklayernorm.ml.param.HasEpsilon;
import io.github.sparklayernorm.ml.param.HasHandleInvalid;
import io.github.sparklayernorm.ml.param.HasInputCol;
import io.github.sparklayernorm.ml.param.HasInputCols;
import io.github.sparklayernorm.ml.param.HasOutputCol;
import io.github.sparklayernorm.ml.param.HasOutputCols;
import io.github.sparklayernorm.ml.param.HasScale;
import io.github.sparklayernorm.ml.param.HasShift;
import io.github.sparklayernorm.ml.param.ParamValidation;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import java.util.Collections;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Row-wise layer normalization of vector and array columns:
 * {@code y = scale * (x - mean(x)) / sqrt(var(x) + epsilon) + shift}, with the mean and the biased
 * variance taken over each row's own values, as PyTorch's {@code nn.LayerNorm} and ONNX's
 * {@code LayerNormalization} compute them. A row's output depends on that row alone.
 *
 * <pre>{@code
 * LayerNormalizer ln = new LayerNormalizer()
 *     .setInputCol("features").setOutputCol("normalized")
 *     .setScale(gamma).setShift(beta);
 * Dataset<Row> out = ln.transform(df);
 * }</pre>
 *
 * <p>Reads {@code vector} (dense or sparse), {@code array<double>} and {@code array<float>}; the
 * output has the input's kind (vectors come out dense, float arrays are computed in double and
 * rounded once). Several columns can be normalized in one pass with {@link #setInputCols} and
 * {@link #setOutputCols}.
 */
public class LayerNormalizer extends Transformer
        implements HasInputCol, HasOutputCol, HasInputCols, HasOutputCols, HasEpsilon, HasScale, HasShift,
        HasHandleInvalid, HasBackend, HasBatchSize, DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** Rows per batch by default: see the README for how it was chosen. */
    public static final int DEFAULT_BATCH_SIZE = 4096;

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final StringArrayParam inputCols;
    private final StringArrayParam outputCols;
    private final DoubleParam epsilon;
    private final DoubleArrayParam scale;
    private final DoubleArrayParam shift;
    private final Param<String> handleInvalid;
    private final Param<String> backend;
    private final IntParam batchSize;
    /** The row counts of the latest transform, filled in as its jobs run. */
    private transient RowsByBackend lastRowsByBackend;
    private transient LongAccumulator lastRowsRead;
    private transient LongAccumulator lastRowsSkipped;

    public LayerNormalizer() {
        this(Identifiable.randomUID("layerNorm"));
    }

    public LayerNormalizer(String uid) {
        // Params need the uid of their parent: build them here, after it is set.
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column name");
        outputCol = new Param<>(this, "outputCol", "output column name");
        inputCols = new StringArrayParam(this, "inputCols", "input column names, normalized in one pass");
        outputCols = new StringArrayParam(this, "outputCols", "output column names, one per input column");
        epsilon = new DoubleParam(this, "epsilon",
                "added to the variance under the square root; finite and > 0 (PyTorch and ONNX use 1e-5)",
                ParamValidation.finitePositive());
        scale = new DoubleArrayParam(this, "scale",
                "per-feature scale (gamma) applied after normalizing; all ones when unset."
                        + " When set, every row must have its length",
                ParamValidation.finiteNonEmptyArray());
        shift = new DoubleArrayParam(this, "shift",
                "per-feature shift (beta) added last; all zeros when unset. When set, every row must have its length",
                ParamValidation.finiteNonEmptyArray());
        handleInvalid = new Param<>(this, "handleInvalid",
                "how to handle invalid rows (null, empty, NaN or infinite values, a length other than scale/shift's):"
                        + " 'error' fails the job, 'skip' drops the row, 'keep' keeps it with a null output",
                ParamValidators.inArray(HandleInvalid.NAMES));
        backend = new Param<>(this, "backend",
                "which engine normalizes: 'auto' (a GPU when the executor has one, else Java), 'java',"
                        + " or 'opencl' (OpenCL required: a GPU, else any OpenCL device)",
                ParamValidators.inArray(Backend.NAMES));
        batchSize = new IntParam(this, "batchSize",
                "rows handed to the engine (and to the device) at a time; memory is bounded by the batch",
                ParamValidators.gtEq(1));
        setDefault(outputCol, uid + "__output");
        setDefault(backend, "auto");
        setDefault(batchSize, (Object) DEFAULT_BATCH_SIZE);
        setDefault(epsilon, (Object) LayerNormSpec.DEFAULT_EPSILON);
        setDefault(handleInvalid, "error");
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params ------------------------------------------------------------------------------

    @Override
    public Param<String> inputCol() {
        return inputCol;
    }

    @Override
    public Param<String> outputCol() {
        return outputCol;
    }

    @Override
    public StringArrayParam inputCols() {
        return inputCols;
    }

    @Override
    public StringArrayParam outputCols() {
        return outputCols;
    }

    @Override
    public DoubleParam epsilon() {
        return epsilon;
    }

    @Override
    public DoubleArrayParam scale() {
        return scale;
    }

    @Override
    public DoubleArrayParam shift() {
        return shift;
    }

    @Override
    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    @Override
    public Param<String> backend() {
        return backend;
    }

    @Override
    public IntParam batchSize() {
        return batchSize;
    }

    /** {@code "auto"} (default), {@code "java"} or {@code "opencl"}. */
    public LayerNormalizer setBackend(String value) {
        set(backend, value);
        return this;
    }

    /** Rows per batch handed to the engine; default {@value #DEFAULT_BATCH_SIZE}. */
    public LayerNormalizer setBatchSize(int value) {
        set(batchSize, (Object) value);
        return this;
    }

    /**
     * Rows normalized per backend and device by the jobs run so far on the latest
     * {@link #transform} result, e.g. {@code {java=1000}} or {@code {opencl: NVIDIA ... (GPU, ...)=1000}};
     * empty before. Each column of a row counts once. The same counts show in the Spark UI as the
     * accumulator named after this stage.
     */
    public Map<String, Long> rowsByBackend() {
        return lastRowsByBackend == null ? Collections.emptyMap() : lastRowsByBackend.value();
    }

    /** Input rows read by the jobs run so far on the latest {@link #transform} result. */
    public long rowsRead() {
        return lastRowsRead == null ? 0 : lastRowsRead.value();
    }

    /** Input rows dropped as invalid ({@code handleInvalid = skip}) by those jobs. */
    public long rowsSkipped() {
        return lastRowsSkipped == null ? 0 : lastRowsSkipped.value();
    }

    public LayerNormalizer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public LayerNormalizer setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public LayerNormalizer setInputCols(String[] value) {
        set(inputCols, value);
        return this;
    }

    public LayerNormalizer setOutputCols(String[] value) {
        set(outputCols, value);
        return this;
    }

    /** Added to the variance under the square root; finite and > 0. Default 1e-5. */
    public LayerNormalizer setEpsilon(double value) {
        set(epsilon, (Object) value);
        return this;
    }

    /** The learned scale (gamma), one value per feature; {@code null} clears it (all ones). */
    public LayerNormalizer setScale(double[] value) {
        if (value == null) {
            clear(scale);
        } else {
            set(scale, value.clone());
        }
        return this;
    }

    /** The learned shift (beta), one value per feature; {@code null} clears it (all zeros). */
    public LayerNormalizer setShift(double[] value) {
        if (value == null) {
            clear(shift);
        } else {
            set(shift, value.clone());
        }
        return this;
    }

    /** {@code "error"} (default), {@code "skip"} or {@code "keep"}. */
    public LayerNormalizer setHandleInvalid(String value) {
        set(handleInvalid, value);
        return this;
    }

    // ---- schema and transform ------------------------------------------------------------------

    private String stageName() {
        return "LayerNormalizer " + uid;
    }

    /** The checked parameters as one spec; scale and shift of different lengths are refused here. */
    private LayerNormSpec spec() {
        double[] g = getScale();
        double[] b = getShift();
        if (g != null && b != null && g.length != b.length) {
            throw new IllegalArgumentException(stageName() + ": scale has " + g.length + " values but shift has "
                    + b.length + "; both must have the row length");
        }
        return LayerNormSpec.of(getEpsilon(), g, b);
    }

    private NormalizationPlan plan(StructType schema) {
        boolean single = isSet(inputCol);
        boolean multi = isSet(inputCols);
        if (single && multi) {
            throw new IllegalArgumentException(stageName() + ": both inputCol and inputCols are set;"
                    + " use inputCol/outputCol for one column or inputCols/outputCols for several, not both");
        }
        if (!single && !multi) {
            throw new IllegalArgumentException(stageName() + ": no input column; set inputCol (one column)"
                    + " or inputCols (several)");
        }
        if (single && isSet(outputCols)) {
            throw new IllegalArgumentException(stageName() + ": inputCol is set with outputCols;"
                    + " use outputCol with inputCol, or outputCols with inputCols");
        }
        if (multi && isSet(outputCol)) {
            throw new IllegalArgumentException(stageName() + ": inputCols is set with outputCol;"
                    + " use outputCols with inputCols, or outputCol with inputCol");
        }
        if (multi && !isSet(outputCols)) {
            throw new IllegalArgumentException(stageName() + ": inputCols is set but outputCols is not;"
                    + " give one output column per input column");
        }
        if (multi && getInputCols().length == 0) {
            throw new IllegalArgumentException(stageName() + ": inputCols is empty; give at least one input column");
        }
        String[] inputs = single ? new String[] {getInputCol()} : getInputCols();
        String[] outputs = single ? new String[] {getOutputCol()} : getOutputCols();
        LayerNormSpec spec = spec();
        boolean nullable = HandleInvalid.of(getHandleInvalid()) == HandleInvalid.KEEP;
        return NormalizationPlan.resolve(stageName(), schema, inputs, outputs, spec.requiredRowLength(), nullable);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return plan(schema).outputSchema();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        NormalizationPlan plan = plan(dataset.schema());
        StructType outputSchema = plan.outputSchema();
        SparkContext context = dataset.sparkSession().sparkContext();
        RowsByBackend rows = new RowsByBackend();
        context.register(rows, stageName() + " rows by backend");
        lastRowsByBackend = rows;
        lastRowsRead = context.longAccumulator(stageName() + " rows read");
        lastRowsSkipped = context.longAccumulator(stageName() + " rows skipped");
        PartitionNormalizer normalizer = new PartitionNormalizer(stageName(), plan, spec(),
                HandleInvalid.of(getHandleInvalid()), Backend.of(getBackend()), getBatchSize(), rows,
                lastRowsRead, lastRowsSkipped);
        Dataset<Row> normalized = dataset.toDF().mapPartitions(normalizer, Encoders.row(outputSchema));
        // The row encoder drops column metadata; put every column's back (the inputs' own
        // metadata, such as VectorAssembler's attributes, must survive, and outputs carry their size).
        Column[] columns = new Column[outputSchema.size()];
        for (int i = 0; i < columns.length; i++) {
            StructField field = outputSchema.fields()[i];
            columns[i] = functions.col(quoted(field.name())).as(field.name(), field.metadata());
        }
        return normalized.select(columns);
    }

    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    @Override
    public LayerNormalizer copy(ParamMap extra) {
        return (LayerNormalizer) defaultCopy(extra);
    }

    // ---- persistence ---------------------------------------------------------------------------

    public static MLReader<LayerNormalizer> read() {
        return new DefaultParamsReader<>();
    }

    public static LayerNormalizer load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return stageName();
    }
}
