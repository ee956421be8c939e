package io.github.sparklayernorm.ml;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.ml.exec.Execution;
import io.github.sparklayernorm.ml.exec.HandleInvalid;
import io.github.sparklayernorm.ml.exec.InvalidReason;
import io.github.sparklayernorm.ml.exec.NormalizerMetrics;
import io.github.sparklayernorm.ml.param.ParamValidation;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import io.github.sparklayernorm.ml.plan.StatisticsColumns;
import java.util.Collections;
import java.util.Map;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link LayerNormalizer} and {@link RmsNormalizer} share: the columns, epsilon, scale,
 * groups, the statistics column, invalid rows, backend and batching, the schema checks and the
 * per-partition run. A subclass says what is computed ({@link #spec()}) and adds its own params.
 *
 * <p>Each param is declared once, in one block: the {@code Param} (built where it is declared:
 * {@link IdentifiedTransformer} sets the uid the params need before these fields are built), its
 * accessor (Spark finds params by these methods), its getter and its setter.
 *
 * @param <T> the concrete normalizer, so that setters return it
 */
public abstract class RowNormalizer<T extends RowNormalizer<T>> extends IdentifiedTransformer
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** Rows per batch by default: docs/performance.md says how it was chosen. */
    public static final int DEFAULT_BATCH_SIZE = 4096;
    /**
     * The largest batchSize: 2^20 rows. A task's buffers grow with the rows it has, up to the
     * batch, so the bound is on what one task may hold (a batch of 2^20 rows of 256 doubles is
     * 2 GB): past it, a larger batch gains a device nothing and risks the executor's memory.
     */
    public static final int MAX_BATCH_SIZE = 1 << 20;

    /** The row counts of the latest transform, filled in as its jobs run. */
    private transient NormalizerMetrics lastMetrics;

    protected RowNormalizer(String uid) {
        super(uid);
        setDefault(outputCol, uid + "__output");
        setDefault(backend, "auto");
        setDefault(batchSize, (Object) DEFAULT_BATCH_SIZE);
        setDefault(epsilon, (Object) LayerNormSpec.DEFAULT_EPSILON);
        setDefault(handleInvalid, "error");
    }

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    // ---- params ------------------------------------------------------------------------------
    // The columns' docs are Spark's shared params' (PySpark's wrappers take those params as they are).

    private final Param<String> inputCol = new Param<>(this, "inputCol", "input column name.");

    public Param<String> inputCol() {
        return inputCol;
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public T setInputCol(String value) {
        set(inputCol, value);
        return self();
    }

    private final Param<String> outputCol = new Param<>(this, "outputCol", "output column name.");

    public Param<String> outputCol() {
        return outputCol;
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    public T setOutputCol(String value) {
        set(outputCol, value);
        return self();
    }

    private final StringArrayParam inputCols =
            new StringArrayParam(this, "inputCols", "input column names.");

    public StringArrayParam inputCols() {
        return inputCols;
    }

    public String[] getInputCols() {
        return getOrDefault(inputCols);
    }

    public T setInputCols(String[] value) {
        set(inputCols, value);
        return self();
    }

    private final StringArrayParam outputCols =
            new StringArrayParam(this, "outputCols", "output column names.");

    public StringArrayParam outputCols() {
        return outputCols;
    }

    public String[] getOutputCols() {
        return getOrDefault(outputCols);
    }

    public T setOutputCols(String[] value) {
        set(outputCols, value);
        return self();
    }

    private final DoubleParam epsilon = new DoubleParam(this, "epsilon",
            "added under the square root; finite and > 0 (PyTorch and ONNX use 1e-5)",
            ParamValidation.finitePositive());

    public DoubleParam epsilon() {
        return epsilon;
    }

    public double getEpsilon() {
        return (Double) getOrDefault(epsilon);
    }

    /** Added under the square root; finite and > 0. Default 1e-5. */
    public T setEpsilon(double value) {
        set(epsilon, (Object) value);
        return self();
    }

    private final DoubleArrayParam scale = new DoubleArrayParam(this, "scale",
            "per-feature scale (gamma) applied after normalizing; all ones when unset."
                    + " When set, every row (every group, with groupSize) must have its length",
            ParamValidation.finiteNonEmptyArray());

    public DoubleArrayParam scale() {
        return scale;
    }

    /** The scale (a copy), or {@code null} when none is set (all ones). */
    public double[] getScale() {
        return isDefined(scale) ? getOrDefault(scale).clone() : null;
    }

    /** The learned scale (gamma), one value per feature; {@code null} clears it (all ones). */
    public T setScale(double[] value) {
        if (value == null) {
            clear(scale);
        } else {
            set(scale, checkedAffine("scale", value).clone());
        }
        return self();
    }

    /**
     * Scale or shift as the param's rule takes it, refused here with the index and the value: the
     * param's own refusal would print the whole array (thousands of numbers) and no index.
     */
    double[] checkedAffine(String name, double[] value) {
        String problem = LayerNormSpec.affineProblem(name, value);
        if (problem != null) {
            throw new IllegalArgumentException(uid() + ": " + problem);
        }
        return value;
    }

    private final IntParam groupSize = new IntParam(this, "groupSize",
            "normalize each consecutive block of this many values of a row on its own (one token of a"
                    + " flattened [tokens x hidden] row); unset: the whole row. Rows must be a multiple of it",
            ParamValidators.gtEq(1));

    public IntParam groupSize() {
        return groupSize;
    }

    /** The group size, or 0 when unset (the whole row is one group). */
    public int getGroupSize() {
        return isDefined(groupSize) ? (Integer) getOrDefault(groupSize) : 0;
    }

    /** Normalize each block of {@code value} consecutive values on its own; scale/shift then have {@code value} values. */
    public T setGroupSize(int value) {
        set(groupSize, (Object) value);
        return self();
    }

    private final Param<String> invStdDevCol = new Param<>(this, "invStdDevCol",
            "optional output column with each row's inverse standard deviation: 1 / sqrt(var + epsilon)"
                    + " for layer normalization (ONNX's InvStdDev), 1 / sqrt(mean(x^2) + epsilon) for RMS"
                    + " normalization; a double, or one per group with groupSize");

    public Param<String> invStdDevCol() {
        return invStdDevCol;
    }

    /** The column name, or {@code null} when unset. */
    public String getInvStdDevCol() {
        return isDefined(invStdDevCol) ? getOrDefault(invStdDevCol) : null;
    }

    /** An output column for each row's inverse standard deviation (one value per group with groupSize). */
    public T setInvStdDevCol(String value) {
        set(invStdDevCol, value);
        return self();
    }

    private final Param<String> handleInvalid = new Param<>(this, "handleInvalid",
            "how to handle invalid rows (null, empty, NaN or infinite values, a length other than scale/shift's):"
                    + " 'error' fails the job, 'skip' drops the row, 'keep' keeps it with a null output",
            ParamValidators.inArray(HandleInvalid.NAMES));

    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    public String getHandleInvalid() {
        return getOrDefault(handleInvalid);
    }

    /** {@code "error"} (default), {@code "skip"} or {@code "keep"}. */
    public T setHandleInvalid(String value) {
        set(handleInvalid, value);
        return self();
    }

    private final Param<String> backend = new Param<>(this, "backend",
            "which engine normalizes: 'auto' (a GPU when the executor has one, else Java), 'java',"
                    + " or 'opencl' (OpenCL required: a GPU, else any OpenCL device)",
            ParamValidators.inArray(Backend.NAMES));

    public Param<String> backend() {
        return backend;
    }

    public String getBackend() {
        return getOrDefault(backend);
    }

    /** {@code "auto"} (default), {@code "java"} or {@code "opencl"}. */
    public T setBackend(String value) {
        set(backend, value);
        return self();
    }

    private final IntParam batchSize = new IntParam(this, "batchSize",
            "most rows handed to the engine (and to the device) at a time, from 1 to " + MAX_BATCH_SIZE
                    + "; memory is bounded by the batch. The Java engine also caps a batch at 32,768 values,"
                    + " which keeps it in the CPU's cache",
            ParamValidators.inRange(1, MAX_BATCH_SIZE));

    public IntParam batchSize() {
        return batchSize;
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    /**
     * Most rows per batch handed to the engine, from 1 to {@value #MAX_BATCH_SIZE}; default
     * {@value #DEFAULT_BATCH_SIZE}, which suits
     * OpenCL devices. The Java engine also stops a batch at 32,768 values (128 rows of 256), so that
     * it stays in a core's cache.
     */
    public T setBatchSize(int value) {
        set(batchSize, (Object) value);
        return self();
    }

    // ---- metrics -------------------------------------------------------------------------------

    /**
     * Rows normalized per backend and device in the latest {@link #transform} result (each
     * partition counted once, as {@link #rowsRead}), e.g. {@code {java=1000}} or {@code {opencl: NVIDIA ... (GPU, ...)=1000}};
     * empty before. Each column of a row counts once; an invalid cell (skipped, or kept with a null
     * output) counts for no backend, on either execution path, and under {@code skip} neither do
     * the other cells of its row. The same counts show in the Spark UI
     * as the accumulator named after this stage.
     */
    public Map<String, Long> rowsByBackend() {
        return lastMetrics == null ? Collections.emptyMap() : lastMetrics.withPrefix(NormalizerMetrics.BACKEND);
    }

    /**
     * Input rows read so far from the latest {@link #transform} result. Like every count here, it
     * counts each partition of the result once, however many jobs or task attempts compute it (a
     * retried or speculative task, a sort that samples its input first, a second action).
     */
    public long rowsRead() {
        return lastMetrics == null ? 0 : lastMetrics.count(NormalizerMetrics.READ);
    }

    /**
     * The name of this stage's row counts as a Spark accumulator ("LayerNormalizer layerNorm_3f2a
     * rows"): the Spark UI shows it on stage pages, and listeners see its updates (a map of counts,
     * "read" among them) as tasks run and end.
     */
    public String metricsName() {
        return stageName() + " rows";
    }

    /** Input rows dropped as invalid ({@code handleInvalid = skip}), counted as {@link #rowsRead}. */
    public long rowsSkipped() {
        return rowsSkippedByReason().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Rows dropped as invalid, by reason: {@code null} (a null cell or element), {@code length}
     * (empty, or a length scale/shift/groupSize do not allow), {@code non-finite} (NaN or an
     * infinity), {@code malformed} (a sparse vector with bad indices). A row counts once, under the
     * first problem found.
     */
    public Map<String, Long> rowsSkippedByReason() {
        return lastMetrics == null ? Collections.emptyMap() : lastMetrics.withPrefix(InvalidReason.SKIPPED);
    }

    /** Rows kept with a null output ({@code handleInvalid = keep}), by reason, as {@link #rowsSkippedByReason}. */
    public Map<String, Long> rowsKeptByReason() {
        return lastMetrics == null ? Collections.emptyMap() : lastMetrics.withPrefix(InvalidReason.KEPT);
    }

    // ---- what subclasses say -----------------------------------------------------------------

    /** What is computed, from the params; {@link LayerNormSpec} refuses params that do not go together. */
    protected abstract LayerNormSpec spec();

    /** The mean column, for normalizers that have one; {@code null} otherwise. */
    protected String meanColumn() {
        return null;
    }

    /** "LayerNormalizer layerNorm_3f2a": how messages name this stage. */
    protected final String stageName() {
        return getClass().getSimpleName() + " " + uid();
    }

    // ---- schema and transform ------------------------------------------------------------------

    /** The params checked against the schema, with the spec resolved once. */
    private NormalizationPlan plan(StructType schema, HandleInvalid invalid) {
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
        LayerNormSpec spec;
        try {
            spec = spec();
        } catch (IllegalArgumentException e) {
            // The params are each valid (Spark checked them as they were set); together they are not.
            throw new IllegalArgumentException(stageName() + ": " + e.getMessage(), e);
        }
        return NormalizationPlan.resolve(stageName(), schema, inputs, outputs, spec, getGroupSize(),
                new StatisticsColumns(meanColumn(), getInvStdDevCol()), invalid == HandleInvalid.KEEP);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return plan(schema, HandleInvalid.of(getHandleInvalid())).outputSchema();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        HandleInvalid invalid = HandleInvalid.of(getHandleInvalid());
        NormalizationPlan plan = plan(dataset.schema(), invalid);
        NormalizerMetrics metrics = new NormalizerMetrics();
        dataset.sparkSession().sparkContext().register(metrics, metricsName());
        lastMetrics = metrics;
        return Execution.transform(dataset.toDF(), stageName(), plan, invalid, Backend.of(getBackend()), getBatchSize(),
                metrics);
    }

    @Override
    public String toString() {
        return stageName();
    }
}
