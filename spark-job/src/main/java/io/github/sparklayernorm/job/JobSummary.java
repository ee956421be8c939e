package io.github.sparklayernorm.job;

import io.github.sparklayernorm.ml.RowNormalizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run did, printed on stdout when it ends: one figure a line, the figures in one column:
 * rows, where they were normalized, the time of the normalize-and-write step (the progress line's)
 * and of the whole run with Spark's start-up.
 */
final class JobSummary {

    /** Labels up to this long share the summary's column; a long device name does not push the rest right. */
    private static final int LABEL_WIDTH = 30;

    private final List<String[]> lines = new ArrayList<>();

    JobSummary(RowNormalizer<?> normalizer, long written, boolean incremental, double normalizeSeconds,
               double totalSeconds, String output, DataFormat outputFormat) {
        add("rows read", Long.toString(normalizer.rowsRead()));
        add("rows written", Long.toString(written));
        add("rows skipped", normalizer.rowsSkipped() + byReason(normalizer.rowsSkippedByReason()));
        long kept = normalizer.rowsKeptByReason().values().stream().mapToLong(Long::longValue).sum();
        if (kept > 0) {
            add("rows kept with a null output", kept + byReason(normalizer.rowsKeptByReason()));
        }
        for (Map.Entry<String, Long> e : normalizer.rowsByBackend().entrySet()) {
            add("rows on " + e.getKey(), Long.toString(e.getValue()));
        }
        add(incremental ? "normalize and append" : "normalize and write", seconds(normalizeSeconds));
        add("total with start-up", seconds(totalSeconds));
        add("output", output + " (" + outputFormat + ")");
    }

    void print(PrintWriter out) {
        int width = 0;
        for (String[] line : lines) {
            width = Math.max(width, line[0].length() <= LABEL_WIDTH ? line[0].length() + 1 : 0);
        }
        out.println("LayerNormJob summary");
        for (String[] line : lines) {
            out.printf(Locale.ROOT, "  %-" + Math.max(1, width) + "s %s%n", line[0] + ":", line[1]);
        }
        out.flush();
    }

    /** " (null: 3, length: 1)", or "" when there is nothing to say. */
    static String byReason(Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        counts.forEach((reason, n) -> text.append(text.length() > 2 ? ", " : "").append(reason).append(": ").append(n));
        return text.append(')').toString();
    }

    private void add(String label, String figure) {
        lines.add(new String[] {label, figure});
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }
}
