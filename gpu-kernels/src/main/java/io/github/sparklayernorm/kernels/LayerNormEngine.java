package io.github.sparklayernorm.kernels;

/**
 * Normalizes flat batches of rows: layer normalization, or RMS normalization when the spec does not
 * center ({@link LayerNormSpec#centered()}). Every implementation (plain Java, OpenCL, ...) honours the same
 * contract, and the same test suite runs against each:
 *
 * <ul>
 *   <li>Each row is normalized over its own values only: its output does not depend on the other
 *       rows of the batch, on the batch size or on where in the batch it lies.</li>
 *   <li>Statistics are the row's mean and biased variance, accumulated in double precision. Float
 *       rows are computed in double and rounded once.</li>
 *   <li>A constant row gives exactly the shift. A row holding NaN or an infinity gives NaN in all its
 *       outputs (callers that must reject such rows check them before).</li>
 *   <li>{@code out} may be {@code in}: the batch is then normalized in place.</li>
 * </ul>
 *
 * <p>Engines may hold native resources: close them when done.
 */
public interface LayerNormEngine extends AutoCloseable {

    /** A short name for logs and metrics, such as {@code "java"}. */
    String name();

    /**
     * Normalizes the batch; when {@code stats} is not {@code null}, also fills it with every row's
     * mean and inverse standard deviation (see {@link RowStatistics}).
     *
     * @return which engine did the batch, and which of its rows another engine recomputed
     */
    BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats);

    BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats);

    default BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec) {
        return normalize(in, out, layout, spec, null);
    }

    default BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec) {
        return normalize(in, out, layout, spec, null);
    }

    /**
     * How many values a batch should hold at most for this engine to run at its best; callers cut
     * batches no larger (a row longer than this still makes a batch of one). Unbounded by default:
     * devices gain from large batches.
     */
    default int preferredBatchValues() {
        return Integer.MAX_VALUE;
    }

    @Override
    default void close() {
    }

    /**
     * Checks what every engine must check before touching memory: the arrays hold the layout, and
     * every row has a length the spec accepts.
     */
    static void checkBatch(int inLength, int outLength, BatchLayout layout, LayerNormSpec spec) {
        if (inLength < layout.end() || outLength < layout.end()) {
            throw new IllegalArgumentException("the batch needs arrays of at least " + layout.end()
                    + " values, got input " + inLength + " and output " + outLength);
        }
        if (spec.requiredRowLength() < 0) {
            return;
        }
        for (int r = 0; r < layout.rowCount(); r++) {
            String problem = spec.rowLengthProblem(layout.length(r));
            if (problem != null) {
                throw new IllegalArgumentException("row " + r + " " + problem);
            }
        }
    }
}
