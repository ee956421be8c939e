package io.github.sparklayernorm.job;

import io.github.sparklayernorm.ml.RowNormalizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;

/**
 * What the batch job shows while it runs, on stderr:
 *
 * <ul>
 *   <li>{@link Display#LINES} (logs, CI, cluster drivers): one line per finished stage and, at most
 *       every interval (30 s by default), one line with tasks done of total, rows so far, rows per
 *       second and the backends in use;</li>
 *   <li>{@link Display#TERMINAL}: the same figures on one line, redrawn in place;</li>
 *   <li>{@link Display#OFF}: nothing ({@code --quiet}).</li>
 * </ul>
 *
 * Rows come from the stage's own metrics ({@link RowNormalizer#rowsRead()}, each partition counted
 * once), the same figure as the summary's "rows read"; the last line, written when the job ends,
 * equals it. Tasks come from Spark's status tracker.
 */
final class JobProgress implements AutoCloseable {

    /** How progress is shown. */
    enum Display { OFF, LINES, TERMINAL }

    private final SparkContext spark;
    private final RowNormalizer<?> normalizer;
    private final PrintWriter err;
    private final Display display;
    private final long intervalMillis;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService ticker;
    private final SparkListener stages;
    private long lastLine = System.nanoTime();
    private boolean closed;

    JobProgress(SparkContext spark, RowNormalizer<?> normalizer, PrintWriter err, Display display, long intervalMillis) {
        this.spark = spark;
        this.normalizer = normalizer;
        this.err = err;
        this.display = display;
        this.intervalMillis = intervalMillis;
        if (display == Display.OFF) {
            ticker = null;
            stages = null;
            return;
        }
        stages = new SparkListener() {
            @Override
            public void onStageCompleted(SparkListenerStageCompleted completed) {
                stageDone(completed.stageInfo());
            }
        };
        spark.addSparkListener(stages);
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "LayerNormJob progress");
            thread.setDaemon(true);
            return thread;
        });
        long tick = display == Display.TERMINAL ? 500 : Math.min(intervalMillis, 1000);
        ticker.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** TERMINAL when stderr is a terminal, else LINES; OFF when quiet; TERMINAL when forced. */
    static Display choose(boolean quiet, boolean forceTerminal) {
        if (quiet) {
            return Display.OFF;
        }
        return forceTerminal || stderrIsATerminal() ? Display.TERMINAL : Display.LINES;
    }

    private static boolean stderrIsATerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private synchronized void tick() {
        if (closed) {
            return;
        }
        if (display == Display.TERMINAL) {
            err.print("\r" + figures() + "   ");
            err.flush();
        } else if (System.nanoTime() - lastLine >= TimeUnit.MILLISECONDS.toNanos(intervalMillis)) {
            line("progress: " + figures());
        }
    }

    private synchronized void stageDone(StageInfo stage) {
        if (closed) {
            return;
        }
        String status = stage.failureReason().isDefined() ? "failed" : "done";
        double seconds = stage.submissionTime().isDefined() && stage.completionTime().isDefined()
                ? ((Long) stage.completionTime().get() - (Long) stage.submissionTime().get()) / 1e3 : 0;
        line(String.format(Locale.ROOT, "stage %d %s: %d tasks in %.1f s (%s)", stage.stageId(), status,
                stage.numTasks(), seconds, stage.name()));
    }

    /** "3/8 tasks, 120,000 rows, 40,000 rows/s, backends [java]". */
    private String figures() {
        int done = 0;
        int total = 0;
        for (int id : spark.statusTracker().getActiveStageIds()) {
            scala.Option<SparkStageInfo> info = spark.statusTracker().getStageInfo(id);
            if (info.isDefined()) {
                done += info.get().numCompletedTasks();
                total += info.get().numTasks();
            }
        }
        long rows = normalizer.rowsRead();
        double seconds = (System.nanoTime() - start) / 1e9;
        String tasks = total == 0 ? "no stage running" : done + "/" + total + " tasks";
        return String.format(Locale.ROOT, "%s, %,d rows, %,.0f rows/s, backends %s", tasks, rows,
                seconds > 0 ? rows / seconds : 0, normalizer.rowsByBackend().keySet());
    }

    private void line(String text) {
        if (display == Display.TERMINAL) {
            err.print("\r" + " ".repeat(100) + "\r");
        }
        err.println("LayerNormJob " + text);
        err.flush();
        lastLine = System.nanoTime();
    }

    /** Stops the display; the last line gives the rows read, as the summary does. */
    @Override
    public synchronized void close() {
        if (closed || display == Display.OFF) {
            closed = true;
            return;
        }
        ticker.shutdownNow();
        spark.removeSparkListener(stages);
        long rows = normalizer.rowsRead();
        double seconds = (System.nanoTime() - start) / 1e9;
        line(String.format(Locale.ROOT, "progress: finished, %,d rows in %.1f s, %,.0f rows/s, backends %s", rows,
                seconds, seconds > 0 ? rows / seconds : 0, normalizer.rowsByBackend().keySet()));
        closed = true;
    }
}
