package io.github.sparklayernorm.job;

import io.github.sparklayernorm.ml.RowNormalizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Where the job's rows go, and how many got there: a whole output written aside and moved into
 * place when done ({@link OutputCommit}), or the rows of new input files appended through Spark's
 * file sink ({@link IncrementalOutput}). Rows written are counted from what was written, not from
 * counters a retried task could have bumped twice.
 */
final class JobOutput {

    private final SparkSession spark;
    private final String output;
    private final DataFormat format;
    private final Path target;
    private final FileSystem fs;

    JobOutput(SparkSession spark, String output, DataFormat format) throws IOException {
        this.spark = spark;
        this.output = output;
        this.format = format;
        this.target = new Path(output);
        this.fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
    }

    /**
     * Writes to a fresh folder beside the output and moves it into place only when the job has
     * succeeded, so a failing job never leaves a half-written output nor destroys the old one. A
     * run that read rows and would write none fails unless {@code allowEmpty}. Returns the rows
     * written.
     */
    long replace(Dataset<Row> normalized, RowNormalizer<?> normalizer, boolean overwrite, boolean allowEmpty)
            throws IOException, JobFailure {
        Path staging = OutputCommit.stagingFor(target);
        boolean handedOver = false;
        try {
            JobProgress.step(spark, "normalizing and writing");
            format.writable(normalized).write().format(format.name()).option("header", "true").save(staging.toString());
            JobProgress.step(spark, "counting the rows written");
            long written = rowsIn(staging);
            long read = normalizer.rowsRead();
            if (written == 0 && read > 0 && !allowEmpty) {
                throw new JobFailure("read " + read + " rows and would write none: " + normalizer.rowsSkipped()
                        + " were skipped as invalid" + JobSummary.byReason(normalizer.rowsSkippedByReason())
                        + "; nothing was written" + (fs.exists(target) ? " and " + output + " was left alone" : "")
                        + ". Fix the data, or pass --allow-empty-output to write an empty output");
            }
            handedOver = true;
            OutputCommit.replace(fs, staging, target, overwrite);
            return written;
        } finally {
            // A failed or refused write leaves a partial or unwanted folder; once handed over, the
            // commit says where everything is and nothing is deleted here.
            if (!handedOver && fs.exists(staging)) {
                fs.delete(staging, true);
            }
        }
    }

    /**
     * Appends the stream's rows to the output through Spark's file sink, micro-batch by micro-batch
     * until the files there were at the start are done, each batch committed in the output's log
     * and the checkpoint (exactly once across runs: see {@link IncrementalOutput}). Returns the
     * rows this run added, counted from what the output's log holds before and after.
     */
    long append(Dataset<Row> normalized, String checkpoint) throws JobFailure {
        long before = committedRows();
        StreamingQuery query = start(format.writable(normalized).writeStream().format(format.name())
                .option("header", "true").option("checkpointLocation", checkpoint).outputMode("append")
                .trigger(Trigger.AvailableNow()));
        try {
            query.awaitTermination();
        } catch (StreamingQueryException e) {
            throw new JobFailure("failed: " + JobFailure.rootMessage(e) + " (the micro-batches committed before"
                    + " stay written; the next run with this --checkpoint goes on from there)");
        }
        return committedRows() - before;
    }

    /** Starts the query; Spark 3.5 declares a TimeoutException here, which Spark 4 does not. */
    private StreamingQuery start(DataStreamWriter<Row> writer) throws JobFailure {
        try {
            return startDeclared(writer, output);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new JobFailure("the incremental run did not start: " + e.getMessage());
        }
    }

    @SuppressWarnings("RedundantThrows")
    private static StreamingQuery startDeclared(DataStreamWriter<Row> writer, String path) throws Exception {
        return writer.start(path);
    }

    /** The rows of an incremental output, as readers see them: the files its log lists. */
    private long committedRows() {
        try {
            if (!fs.exists(new Path(target, IncrementalOutput.SINK_LOG))) {
                return 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JobProgress.step(spark, "counting the output's rows");
        return spark.read().format(format.name()).option("header", "true").load(output).count();
    }

    /** A path as a glob that matches just itself: Spark's readers expand glob characters in a path. */
    static String literal(String path) {
        return path.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    /**
     * The rows of a written folder, read back from its part files: Parquet and ORC answer from
     * their footers. (By the files, not the folder: Spark skips a folder whose name starts with
     * '.', as the staging folder's does so that readers of the parent skip it too.)
     */
    private long rowsIn(Path folder) throws IOException {
        // By name, not by glob: the folder's own name may hold glob characters.
        FileStatus[] files = fs.listStatus(folder, path -> path.getName().startsWith("part-"));
        if (files.length == 0) {
            return 0;
        }
        String[] paths = new String[files.length];
        for (int i = 0; i < files.length; i++) {
            paths[i] = literal(files[i].getPath().toString());
        }
        return spark.read().format(format.name()).option("header", "true").load(paths).count();
    }
}
