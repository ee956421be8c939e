package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.ml.exec.internal.CatalystArrays;
import io.github.sparklayernorm.ml.exec.internal.CellFunction;
import io.github.sparklayernorm.ml.plan.ColumnBinding;
import io.github.sparklayernorm.ml.plan.ColumnType;
import io.github.sparklayernorm.ml.plan.RowLength;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.util.TaskCompletionListener;

/**
 * One column normalized cell by cell, inside Spark's own query plan: what the Catalyst expressions
 * of the Java path ({@code ml.exec.internal.NormalizeCell}, {@code CellIsValid}) call for each row.
 * Spark then prunes the columns the query does not need, collapses projections and generates code
 * around the call, where the batched path ({@link PartitionNormalizer}) has to take every column
 * of every row through a node of its own.
 *
 * <p>The same checks, engine and messages as the batched path: a cell is checked and copied by a
 * {@link ColumnBatch} of one cell, normalized by the Java engine, and handed back as a value of its
 * own. Counts go to the stage's {@link NormalizerMetrics} once per task, when it ends: counted
 * locally per row, they cost nothing beside the row's arithmetic.
 *
 * <p>Serialized with the query plan to each task, which gets its own copy; the per-task state
 * (buffers, the engine, the counts) is made on the first cell. One thread per copy, as Spark runs
 * a task's expressions.
 */
public final class CellNormalizer implements CellFunction {
    private static final long serialVersionUID = 1L;

    private final String stage;
    private final ColumnBinding binding;
    private final LayerNormSpec spec;
    private final RowLength rowLength;
    private final HandleInvalid handleInvalid;
    private final NormalizerMetrics metrics;
    /** Whether this column counts the rows read: one column of the stage does, the validity check under skip. */
    private final boolean countsRows;
    private transient TaskState task;

    public CellNormalizer(String stage, ColumnBinding binding, LayerNormSpec spec, RowLength rowLength,
                          HandleInvalid handleInvalid, NormalizerMetrics metrics, boolean countsRows) {
        this.stage = stage;
        this.binding = binding;
        this.spec = spec;
        this.rowLength = rowLength;
        this.handleInvalid = handleInvalid;
        this.metrics = metrics;
        this.countsRows = countsRows;
    }

    @Override
    public DataType outputType() {
        return binding.type().outputType();
    }

    @Override
    public boolean nullableOutput() {
        return handleInvalid == HandleInvalid.KEEP;
    }

    @Override
    public String toString() {
        return stage + " column '" + binding.inputName() + "'";
    }

    /**
     * The normalized cell as a Catalyst value of its own (a dense vector's struct, or an array).
     * An invalid cell (null, a wrong length, malformed, NaN or infinite) fails the task under
     * {@code error} and gives {@code null} under {@code keep}; under {@code skip} the validity
     * check ({@link #isValid}) has dropped its row before.
     *
     * @param cell the input cell's Catalyst value, or {@code null}
     */
    @Override
    public Object normalize(Object cell) {
        TaskState t = state();
        t.row++;
        if (countsRows && handleInvalid != HandleInvalid.SKIP) {
            t.read++;
        }
        if (t.row + t.validated >= t.nextReport) {
            t.reportSoFar();
        }
        Object fast = normalizeDense(t, cell);
        if (fast != null) {
            t.normalized++;
            return fast;
        }
        ColumnBatch batch = t.batch();
        batch.clear();
        InvalidCell invalid = batch.appendCell(cell);
        if (invalid != null) {
            return invalid(t, invalid.reason, invalid.problem);
        }
        batch.normalize(t.engine, spec);
        if (batch.madeNaN(0)) {
            return invalid(t, InvalidReason.NON_FINITE, InvalidCell.nonFinite(cell, binding.type()));
        }
        t.normalized++;
        return batch.outputCopy(0);
    }

    /**
     * The usual cell, a dense vector or an array without nulls, of a length the stage takes:
     * normalized after room for Spark's header (of the vector's row, or of the array), so that
     * the array Spark gets back is handed over as it is, in Spark's binary format. {@code null} for anything
     * else, and for a cell that turns out to hold NaN or an infinity: the general path then
     * decides, counts and words it.
     */
    private Object normalizeDense(TaskState t, Object cell) {
        if (cell == null || rowLength.grouped()) {
            return null;
        }
        ArrayData values;
        if (binding.type() == ColumnType.VECTOR) {
            InternalRow vector = (InternalRow) cell;
            if (vector.getByte(0) != 1 || vector.isNullAt(3)) {
                return null;
            }
            values = vector.getArray(3);
        } else {
            values = (ArrayData) cell;
        }
        int n = values.numElements();
        if (rowLength.problem(n) != null) {
            return null;
        }
        // The cell is copied into a buffer of the task's, which stays in the L1 cache, and
        // normalized from there into the array Spark gets back, after room for Spark's header.
        if (binding.type() == ColumnType.FLOAT_ARRAY) {
            float[] buffer = t.floatBuffer(n);
            if (CatalystArrays.copyFloats(values, buffer, 0) >= 0) {
                return null;
            }
            int header = CatalystArrays.headerElements(n, Float.BYTES);
            // Whole 8-byte words, as Spark lays arrays out: the padding float stays zero.
            float[] out = new float[header + n + (n & 1)];
            t.rows.normalize(buffer, 0, out, header, n, spec);
            return Float.isNaN(out[header]) ? null : CatalystArrays.wrap(out, n, Float.BYTES);
        }
        double[] buffer = t.doubleBuffer(n);
        if (CatalystArrays.copyDoubles(values, buffer, 0) >= 0) {
            return null;
        }
        boolean vector = binding.type() == ColumnType.VECTOR;
        int header = vector ? CatalystArrays.denseVectorElements(n) : CatalystArrays.headerElements(n, Double.BYTES);
        double[] out = new double[header + n];
        t.rows.normalize(buffer, 0, out, header, n, spec);
        if (Double.isNaN(out[header])) {
            return null;
        }
        return vector ? CatalystArrays.wrapDenseVector(out, n) : CatalystArrays.wrap(out, n, Double.BYTES);
    }

    /**
     * Whether the cell can be normalized, for {@code skip}'s filter, which runs before
     * {@link #normalize}: the same checks, NaN and infinities included. Counts the row as read,
     * and as skipped when it is not valid.
     */
    @Override
    public boolean isValid(Object cell) {
        TaskState t = state();
        t.validated++;
        if (countsRows) {
            t.read++;
        }
        if (t.row + t.validated >= t.nextReport) {
            t.reportSoFar();
        }
        ColumnBatch batch = t.batch();
        batch.clear();
        InvalidCell invalid = batch.appendCell(cell);
        if (invalid == null && batch.holdsNonFinite(0)) {
            invalid = new InvalidCell(InvalidReason.NON_FINITE, null);
        }
        if (invalid != null) {
            t.invalid.count(invalid.reason);
            return false;
        }
        return true;
    }

    private Object invalid(TaskState t, InvalidReason reason, String problem) {
        t.invalid.cell(binding, reason, () -> problem, t.row, null);
        // keep (skip's filter dropped such rows before this): a null output, counted once per row.
        if (countsRows) {
            t.invalid.count(reason);
        }
        return null;
    }

    private TaskState state() {
        if (task == null) {
            task = new TaskState();
        }
        return task;
    }

    /** Rows between reports of a running task's counts: a map update per 65,536 rows costs nothing. */
    private static final long REPORT_EVERY = 1 << 16;

    /** What one task's copy holds: buffers, the engine, and its counts until they are reported. */
    private final class TaskState {
        /**
         * For the general path and skip's validity check, made on first use: a task whose cells
         * are all dense and valid, under error or keep, never needs it.
         */
        private ColumnBatch batch;
        /** The Java engine itself: this path is the Java engine's, and a batch of one cell needs no routing. */
        final JavaLayerNorm engine = new JavaLayerNorm();
        /** The same engine for the usual dense cell, without a batch's set-up per row. */
        final JavaLayerNorm.RowByRow rows = engine.rowByRow();
        private double[] doubleBuffer = new double[0];
        private float[] floatBuffer = new float[0];
        /** Rows this column's expressions went through in the task (a filter's and a projection's count apart). */
        long row;
        long validated;
        long read;
        long normalized;
        /** Under skip, the filter's dropped rows; under keep, the projection's kept ones. */
        final InvalidRows invalid = new InvalidRows(stage, handleInvalid);

        ColumnBatch batch() {
            if (batch == null) {
                batch = new ColumnBatch(binding.type(), rowLength, false);
            }
            return batch;
        }

        double[] doubleBuffer(int length) {
            if (doubleBuffer.length < length) {
                doubleBuffer = new double[length];
            }
            return doubleBuffer;
        }

        float[] floatBuffer(int length) {
            if (floatBuffer.length < length) {
                floatBuffer = new float[length];
            }
            return floatBuffer;
        }

        /** The partition keys of the task's counts; {@code hasTask} false outside a task (no counts kept). */
        private final boolean hasTask;
        private final long key;
        private final long filterKey;
        /** What was added to the metrics so far, so that each report adds only what is new. */
        private long reportedRead;
        private long reportedValidated;
        private long reportedRow;
        private long reportedNormalized;
        /** Rows (through the filter and the projection) at which the counts are next reported. */
        long nextReport = REPORT_EVERY;

        TaskState() {
            new ExecutorBackendListener(stage).chose(JavaLayerNorm.NAME, JavaLayerNorm.DEVICE,
                    "inside Spark's plan, cell by cell (" + Execution.PATH_SETTING + ")");
            TaskContext context = TaskContext.get();
            hasTask = context != null;
            // The filter's counts and the projection's apart: Spark may run them in different
            // stages (a filter pushed below an exchange), whose partitions are not the same.
            key = hasTask ? NormalizerMetrics.partition(context, 0) : 0;
            filterKey = hasTask ? NormalizerMetrics.partition(context, 1) : 0;
            if (hasTask) {
                context.addTaskCompletionListener((TaskCompletionListener) done -> {
                    reportSoFar();
                    task = null;
                });
            }
        }

        /**
         * The task's counts since the last report into the stage's metrics, keyed by its partition,
         * as the batched path keys them (a later computation of the partition replaces an earlier
         * one). Reported every {@value #REPORT_EVERY} rows while the task runs, not only at its end,
         * so that executors' heartbeats carry a running task's rows to progress displays; the
         * totals are the same.
         */
        void reportSoFar() {
            nextReport = row + validated + REPORT_EVERY;
            if (!hasTask) {
                return;
            }
            if (countsRows && handleInvalid == HandleInvalid.SKIP) {
                metrics.add(filterKey, NormalizerMetrics.READ, read - reportedRead);
                metrics.add(filterKey, NormalizerMetrics.SEEN, validated - reportedValidated);
            } else if (countsRows) {
                metrics.add(key, NormalizerMetrics.READ, read - reportedRead);
            }
            metrics.add(key, NormalizerMetrics.SEEN, row - reportedRow);
            if (normalized > reportedNormalized) {
                metrics.add(key, NormalizerMetrics.BACKEND + JavaLayerNorm.NAME, normalized - reportedNormalized);
            }
            invalid.flush(metrics, handleInvalid == HandleInvalid.SKIP ? filterKey : key);
            reportedRead = read;
            reportedValidated = validated;
            reportedRow = row;
            reportedNormalized = normalized;
        }
    }
}
