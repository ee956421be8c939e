package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.routing.RoutedLayerNorm;
import io.github.sparklayernorm.ml.exec.internal.PartitionFunction;
import io.github.sparklayernorm.ml.plan.ColumnBinding;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import io.github.sparklayernorm.ml.plan.StatisticsColumns;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Normalizes one partition: rows are gathered into batches (bounded in rows and in values, never
 * a whole partition), each column of a batch is normalized by the engine in one call, and the rows
 * come out in their original order with the output columns appended.
 *
 * <p>Rows stay in Spark's internal form throughout: a cell's values are copied in one block from
 * the row into the batch, and results go back as Catalyst values joined to the input row, which
 * Spark projects (copies) into its own row as it reads them. Nothing is converted to or from
 * {@code Row}, {@code Vector} or boxed numbers.
 *
 * <p>Invalid cells are handled by {@link HandleInvalid}: nulls, empty cells and wrong lengths are
 * found while the batch is gathered, NaN and infinities after it is normalized (from the engine's
 * NaN output); nothing else is ever dropped or changed.
 */
public final class PartitionNormalizer implements PartitionFunction {
    private static final long serialVersionUID = 1L;

    /** Values per column per batch (32 MB of doubles), whatever the batch size; a longer row still makes a batch of one. */
    static final int BATCH_VALUES = 1 << 22;

    private final String stage;
    private final NormalizationPlan plan;
    private final HandleInvalid handleInvalid;
    private final Backend backend;
    private final KernelShape kernelShape;
    private final boolean calibrate;
    private final int batchRows;
    private final NormalizerMetrics metrics;

    public PartitionNormalizer(String stage, NormalizationPlan plan, HandleInvalid handleInvalid,
                               Backend backend, KernelShape kernelShape, boolean calibrate, int batchRows,
                               NormalizerMetrics metrics) {
        this.kernelShape = kernelShape;
        this.calibrate = calibrate;
        this.stage = stage;
        this.plan = plan;
        this.handleInvalid = handleInvalid;
        this.backend = backend;
        this.batchRows = batchRows;
        this.metrics = metrics;
    }

    @Override
    public Iterator<InternalRow> apply(Iterator<InternalRow> input) {
        TaskContext task = TaskContext.get();
        long partition = task == null ? NormalizerMetrics.partition(0, 0) : NormalizerMetrics.partition(task, 0);
        RoutedLayerNorm engine = BackendSelector.open(backend, assignedGpu(task), kernelShape, calibrate,
                () -> task != null && (task.isInterrupted() || task.isCompleted()), new ExecutorBackendListener(stage));
        try {
            BatchIterator batches = new BatchIterator(input, engine, partition);
            if (task != null) {
                // Also when the task fails or its output is not read to the end (a limit, say).
                task.addTaskCompletionListener((TaskCompletionListener) context -> batches.close());
            }
            return batches;
        } catch (RuntimeException | Error e) {
            // Nothing will close the iterator: give the engine (and its device context) back now.
            engine.close();
            throw e;
        }
    }

    /** The first GPU Spark's resource scheduling assigned to this task, or null. */
    private static String assignedGpu(TaskContext task) {
        if (task == null) {
            return null;
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }

    private final class BatchIterator implements Iterator<InternalRow> {
        private final Iterator<InternalRow> input;
        private final RoutedLayerNorm engine;
        private final LayerNormSpec spec = plan.spec();
        private final StatisticsColumns statistics = plan.statistics();
        private final List<ColumnBinding> bindings = plan.bindings();
        private final ColumnBatch[] columns = new ColumnBatch[bindings.size()];
        /** Per slot of the batch, grown up to batchRows as rows come: a short partition needs little. */
        private InternalRow[] rows = new InternalRow[Math.min(batchRows, 64)];
        private final RetainedRows retained = new RetainedRows(plan.inputWidth());
        /** What follows the input columns: outputs, then statistics. Reused for every row. */
        private final GenericInternalRow appended;
        private final JoinedRow joined = new JoinedRow();
        /** cell[r][c]: the index of row r's cell in column c's batch, or -1 for a null output. */
        private int[][] cell = new int[rows.length][bindings.size()];
        /** Rows in the current batch (at most batchRows, the stage's batchSize). */
        private int filled;
        private int emitted;
        private long rowNumber;
        /** Per slot of the batch: the row's number in the partition, and whether it is dropped. */
        private long[] rowNumbers = new long[rows.length];
        private boolean[] dropped = new boolean[rows.length];
        /** Per slot: the reason of the row's first invalid cell, or null. */
        private InvalidReason[] firstInvalid = new InvalidReason[rows.length];
        private final InvalidRows invalidRows = new InvalidRows(stage, handleInvalid);
        private boolean closed;

        private final long partition;

        BatchIterator(Iterator<InternalRow> input, RoutedLayerNorm engine, long partition) {
            this.partition = partition;
            this.input = input;
            this.engine = engine;
            appended = new GenericInternalRow(columns.length + statistics.count());
            for (int c = 0; c < columns.length; c++) {
                // Statistics columns exist only with a single input column.
                columns[c] = new ColumnBatch(bindings.get(c).type(), plan.rowLength(), statistics.any() && c == 0);
            }
        }

        @Override
        public boolean hasNext() {
            while (true) {
                while (emitted < filled && dropped[emitted]) {
                    rows[emitted++] = null;
                }
                if (emitted < filled) {
                    return true;
                }
                if (!input.hasNext()) {
                    close();
                    return false;
                }
                fillBatch();
            }
        }

        /** The next output row; valid until the following call, as Spark's row iterators are. */
        @Override
        public InternalRow next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            InternalRow row = rows[emitted];
            for (int c = 0; c < columns.length; c++) {
                int index = cell[emitted][c];
                appended.update(c, index < 0 ? null : columns[c].output(index));
            }
            int next = columns.length;
            int first = cell[emitted][0];
            if (statistics.hasMean()) {
                appended.update(next++, first < 0 ? null : columns[0].mean(first));
            }
            if (statistics.hasInvStdDev()) {
                appended.update(next, first < 0 ? null : columns[0].invStdDev(first));
            }
            rows[emitted++] = null;
            return joined.apply(row, appended);
        }

        private void fillBatch() {
            filled = 0;
            emitted = 0;
            retained.clear();
            for (ColumnBatch column : columns) {
                column.clear();
            }
            long read = 0;
            while (filled < batchRows && !anyColumnFull() && !retained.full() && input.hasNext()) {
                InternalRow row = input.next();
                rowNumber++;
                read++;
                if (filled == rows.length) {
                    grow();
                }
                firstInvalid[filled] = null;
                if (gather(row, filled)) {
                    rows[filled] = retained.keep(row, filled);
                    rowNumbers[filled] = rowNumber;
                    dropped[filled] = false;
                    filled++;
                }
            }
            BatchReport[] reports = new BatchReport[columns.length];
            for (int c = 0; c < columns.length; c++) {
                reports[c] = columns[c].normalize(engine, spec);
            }
            dropNonFinite();
            for (int c = 0; c < columns.length; c++) {
                if (reports[c] != null) {
                    countBackend(c, reports[c]);
                }
            }
            if (handleInvalid == HandleInvalid.KEEP) {
                for (int r = 0; r < filled; r++) {
                    if (firstInvalid[r] != null) {
                        invalidRows.count(firstInvalid[r]);
                    }
                }
            }
            // Counted per batch: an accumulator update per row costs more than the row's arithmetic.
            metrics.add(partition, NormalizerMetrics.READ, read);
            invalidRows.flush(metrics, partition);
        }

        /**
         * Each cell of an output row counts once, for the backend that normalized it; cells
         * recomputed after a device fault are Java's. Counted after {@link #dropNonFinite}, so that
         * only what leaves the stage counts, as on the expression path: a cell that held NaN or an
         * infinity counts for none, and neither does any cell of a row that {@code skip} drops,
         * its valid cells in other columns included (the expression path's filter drops such a
         * row before any column is normalized).
         */
        private void countBackend(int c, BatchReport report) {
            boolean[] recomputed = columns[c].recomputedCells(report);
            long onBackend = 0;
            long onJava = 0;
            for (int r = 0; r < filled; r++) {
                int index = cell[r][c];
                if (dropped[r] || index < 0) {
                    continue;
                }
                if (recomputed != null && recomputed[index]) {
                    onJava++;
                } else {
                    onBackend++;
                }
            }
            if (onBackend > 0) {
                // Under auto, a backend chosen by measurement says so: "java (measured faster than the device ...)".
                String reason = report.reason();
                metrics.add(partition, NormalizerMetrics.BACKEND + report.backend() + (reason == null ? "" : " (" + reason + ")"),
                        onBackend);
            }
            if (onJava > 0) {
                metrics.add(partition, NormalizerMetrics.BACKEND + JavaLayerNorm.NAME, onJava);
            }
        }

        private void grow() {
            int size = (int) Math.min(batchRows, 2L * rows.length);
            rows = Arrays.copyOf(rows, size);
            rowNumbers = Arrays.copyOf(rowNumbers, size);
            dropped = Arrays.copyOf(dropped, size);
            firstInvalid = Arrays.copyOf(firstInvalid, size);
            int[][] cells = Arrays.copyOf(cell, size);
            for (int r = cell.length; r < size; r++) {
                cells[r] = new int[bindings.size()];
            }
            cell = cells;
        }

        /**
         * Cells holding NaN or an infinity, found after the fact: the engines turn such a cell (or
         * group) into NaN, and a finite cell never gives NaN, so one look per cell finds them
         * without a pass over every value. The kept input row says where the bad value is.
         */
        private void dropNonFinite() {
            for (int r = 0; r < filled; r++) {
                for (int c = 0; c < columns.length; c++) {
                    int index = cell[r][c];
                    if (index < 0 || !columns[c].madeNaN(index)) {
                        continue;
                    }
                    ColumnBinding binding = bindings.get(c);
                    InternalRow row = rows[r];
                    firstInvalid[r] = invalidRows.cell(binding, InvalidReason.NON_FINITE,
                            () -> InvalidCell.nonFinite(row, binding.inputIndex(), binding.type()), rowNumbers[r],
                            firstInvalid[r]);
                    if (handleInvalid == HandleInvalid.KEEP) {
                        cell[r][c] = -1;
                    } else if (!dropped[r]) {
                        dropped[r] = true;
                        invalidRows.count(firstInvalid[r]);
                    }
                }
            }
        }

        private boolean anyColumnFull() {
            // Asked each time: under 'auto' an executor may switch from OpenCL to Java mid-partition.
            int limit = Math.min(BATCH_VALUES, engine.preferredBatchValues());
            for (ColumnBatch column : columns) {
                if (column.valueCount() >= limit) {
                    return true;
                }
            }
            return false;
        }

        /** Appends the row's cells to the column batches as batch slot {@code slot}; false if the row is skipped. */
        private boolean gather(InternalRow row, int slot) {
            int[] cellOfRow = cell[slot];
            for (int c = 0; c < columns.length; c++) {
                ColumnBinding binding = bindings.get(c);
                InvalidCell invalid = columns[c].append(row, binding.inputIndex());
                if (invalid == null) {
                    cellOfRow[c] = columns[c].rowCount() - 1;
                    continue;
                }
                firstInvalid[slot] = invalidRows.cell(binding, invalid.reason, () -> invalid.problem, rowNumber,
                        firstInvalid[slot]);
                if (handleInvalid == HandleInvalid.SKIP) {
                    for (int done = 0; done < c; done++) {
                        columns[done].removeLast();
                    }
                    invalidRows.count(firstInvalid[slot]);
                    return false;
                }
                cellOfRow[c] = -1;
            }
            return true;
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                engine.close();
            }
        }
    }
}
