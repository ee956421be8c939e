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
import io.github.sparklayernorm.ml.exec.NormalizerMetrics;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.SparkSession;

/**
 * What the batch job shows while it runs, on stderr:
 *
 * <ul>
 *   <li>{@link Display#LINES} (logs, CI, cluster drivers): one line per finished stage, named by the
 *       job's step it belongs to ({@link #step}), and, at most
 *       every interval (30 s by default), one line with tasks done of total, rows so far, rows per
 *       second and the backends in use;</li>
 *   <li>{@link Display#TERMINAL}: the same figures on one line, redrawn in place;</li>
 *   <li>{@link Display#OFF}: nothing ({@code --quiet}).</li>
 * </ul>
 *
 * Rows come from the stage's own metrics, its accumulator ({@link RowNormalizer#metricsName()}):
 * finished tasks' counts, and running tasks' counts as executors report them in their heartbeats
 * (every 10 s by default), each partition counted once with the most it has reported. The figure
 * never goes down, and the last line, written when the job ends, is {@link RowNormalizer#rowsRead()},
 * the summary's "rows read". Tasks come from Spark's status tracker.
 */
final class JobProgress implements AutoCloseable {

    /** The local property behind {@code SparkContext.setJobDescription} (private in Spark's Scala object). */
    private static final String JOB_DESCRIPTION = "spark.job.description";

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
    /** Rows read per partition (stage id and task index), the most any report said; and their sum. */
    private final java.util.Map<Long, Long> rowsByPartition = new java.util.HashMap<>();
    private long reportedRows;
    private long shownRows;
    /** The job's step each running stage belongs to, from its job's description. */
    private final java.util.Map<Integer, String> stepsByStage = new java.util.HashMap<>();
    /** The backends tasks have reported rows on, so far. */
    private final java.util.Set<String> backends = new java.util.TreeSet<>();

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
            public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
                java.util.Properties properties = submitted.properties();
                String step = properties == null ? null : properties.getProperty(JOB_DESCRIPTION);
                if (step != null) {
                    stepOfStage(submitted.stageInfo().stageId(), step);
                }
            }

            @Override
            public void onStageCompleted(SparkListenerStageCompleted completed) {
                stageDone(completed.stageInfo());
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskInfo() != null) {
                    runningReportEnded(end.stageId(), end.taskInfo().taskId());
                    rowsReported(end.stageId(), end.taskInfo().index(), end.taskInfo().accumulables());
                }
            }

            @Override
            public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
                // Scala collections by their common supertypes: Seq is another class on Scala 2.12 and 2.13.
                scala.collection.Iterator<? extends scala.Tuple4<?, ?, ?, ? extends scala.collection.Iterable<AccumulableInfo>>>
                        tasks = update.accumUpdates().iterator();
                while (tasks.hasNext()) {
                    scala.Tuple4<?, ?, ?, ? extends scala.collection.Iterable<AccumulableInfo>> task = tasks.next();
                    // (task id, stage id, stage attempt, updates): the partition is not given; the task id
                    // stands for it until the task ends and reports under its partition.
                    rowsReported((Integer) task._2(), -1 - ((Long) task._1()), task._4());
                }
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
        // bin/layernorm-job filters stderr through a pipe and says whether it ends at a terminal.
        if ("true".equals(System.getenv("SPARKLAYERNORM_STDERR_IS_TERMINAL"))) {
            return true;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * A task that ended stops standing for its partition under its task id: its final report,
     * under the partition, replaces what its heartbeats said (counted once, not twice).
     */
    private synchronized void runningReportEnded(int stageId, long taskId) {
        Long running = rowsByPartition.remove(((long) stageId << 32) ^ (-1 - taskId));
        if (running != null) {
            reportedRows -= running;
        }
    }

    /** A task's count of rows read so far, from its accumulator updates. */
    private synchronized void rowsReported(int stageId, long partition,
                                           scala.collection.Iterable<AccumulableInfo> updates) {
        String name = normalizer.metricsName();
        scala.collection.Iterator<AccumulableInfo> it = updates.iterator();
        while (it.hasNext()) {
            AccumulableInfo info = it.next();
            if (info.name().isDefined() && name.equals(info.name().get()) && info.update().isDefined()
                    && info.update().get() instanceof java.util.Map) {
                java.util.Map<?, ?> counts = (java.util.Map<?, ?>) info.update().get();
                for (Object counter : counts.keySet()) {
                    if (counter instanceof String && ((String) counter).startsWith(NormalizerMetrics.BACKEND)) {
                        backends.add(((String) counter).substring(NormalizerMetrics.BACKEND.length()));
                    }
                }
                Object read = counts.get(NormalizerMetrics.READ);
                if (read instanceof Long) {
                    long key = ((long) stageId << 32) ^ partition;
                    long before = rowsByPartition.getOrDefault(key, 0L);
                    if ((Long) read > before) {
                        rowsByPartition.put(key, (Long) read);
                        reportedRows += (Long) read - before;
                    }
                }
            }
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

    private synchronized void stepOfStage(int stageId, String step) {
        stepsByStage.put(stageId, step);
    }

    /**
     * "normalizing and writing: stage 4 done, 2 tasks in 1.0 s": the job's step (its description,
     * {@link #step}), else Spark's name for the stage (the call site).
     */
    private synchronized void stageDone(StageInfo stage) {
        if (closed) {
            return;
        }
        String status = stage.failureReason().isDefined() ? "failed" : "done";
        double seconds = stage.submissionTime().isDefined() && stage.completionTime().isDefined()
                ? ((Long) stage.completionTime().get() - (Long) stage.submissionTime().get()) / 1e3 : 0;
        String step = stepsByStage.remove(stage.stageId());
        line(String.format(Locale.ROOT, "%s: stage %d %s, %d %s in %.1f s", step != null ? step : stage.name(),
                stage.stageId(), status, stage.numTasks(), stage.numTasks() == 1 ? "task" : "tasks", seconds));
    }

    /**
     * Names the jobs this thread starts from now on, in the job's words: the progress lines and
     * Spark's UI say which step runs ("writing the sample", "normalizing and writing").
     */
    static void step(SparkSession spark, String description) {
        spark.sparkContext().setJobDescription(description);
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
        // Never less than shown before: reports come late, and a running task's report stands for it
        // until it ends (never above its final count, so never above the summary).
        shownRows = Math.max(shownRows, Math.max(reportedRows, normalizer.rowsRead()));
        long rows = shownRows;
        double seconds = (System.nanoTime() - start) / 1e9;
        String tasks = total == 0 ? "no stage running" : done + "/" + total + " tasks";
        backends.addAll(normalizer.rowsByBackend().keySet());
        return String.format(Locale.ROOT, "%s, %,d rows, %,.0f rows/s, backends %s", tasks, rows,
                seconds > 0 ? rows / seconds : 0, backends);
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
