package io.github.sparklayernorm.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What ties an incremental run's checkpoint to its input and output, so that a later run with the
 * same checkpoint continues the same work and nothing else.
 *
 * <p>Structured Streaming keeps, in the checkpoint, which input files earlier runs committed, and,
 * in the output's {@code _spark_metadata} log, which output files each committed micro-batch wrote:
 * readers of the output see only those, so a run killed mid-way leaves no half batch behind, and the
 * next run redoes it. Neither log says which input it was made for: a checkpoint given another
 * input would skip that input's files whose names it has seen, and a new checkpoint given an output
 * that already has a log would have its first micro-batches taken as already committed and dropped.
 * The file written here, in the checkpoint, refuses both.
 */
final class IncrementalOutput {

    /** The checkpoint's record of the input and output it belongs to. */
    static final String RECORD = "layernorm-job.properties";
    /** The file sink's log of committed output files, in the output folder. */
    static final String SINK_LOG = "_spark_metadata";

    private IncrementalOutput() {
    }

    /** The micro-batches the checkpoint's commit log holds: each one wrote to the output. */
    private static int committedBatches(FileSystem fs, Path checkpoint) throws IOException {
        Path commits = new Path(checkpoint, "commits");
        return fs.exists(commits) ? fs.listStatus(commits, p -> p.getName().matches("\\d+")).length : 0;
    }

    /**
     * Checks that {@code checkpoint} belongs to this input and output, or makes it theirs when it
     * is new; the output must then not hold another checkpoint's work, nor anything that is not an
     * incremental output.
     */
    static void claim(FileSystem fs, Path checkpoint, Path input, Path output, String format)
            throws IOException, JobFailure {
        Properties wanted = new Properties();
        wanted.setProperty("input", fs.makeQualified(input).toString());
        wanted.setProperty("output", fs.makeQualified(output).toString());
        wanted.setProperty("output-format", format);
        Path record = new Path(checkpoint, RECORD);
        boolean outputHasLog = fs.exists(new Path(output, SINK_LOG));
        if (fs.exists(record)) {
            Properties found = new Properties();
            try (InputStream in = fs.open(record)) {
                found.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            }
            for (String key : new String[] {"input", "output", "output-format"}) {
                if (!wanted.getProperty(key).equals(found.getProperty(key))) {
                    throw new JobFailure("checkpoint " + checkpoint + " belongs to " + key + " " + found.getProperty(key)
                            + ", not " + wanted.getProperty(key) + "; give each input and output a --checkpoint of"
                            + " their own (a new folder starts from the input's first file)");
                }
            }
            if (!fs.exists(output) && committedBatches(fs, checkpoint) > 0) {
                throw new JobFailure("output " + output + " no longer exists, but checkpoint " + checkpoint + " says "
                        + committedBatches(fs, checkpoint) + " micro-batches were written there: a run now would"
                        + " write only new files' rows. Put the output back, or start anew with a new --checkpoint"
                        + " (it reads every input file again)");
            }
            if (fs.exists(output) && !outputHasLog) {
                throw new JobFailure("output " + output + " is not the incremental output checkpoint " + checkpoint
                        + " was writing (it has no " + SINK_LOG + " log); put it back, or start anew with a new"
                        + " --output and a new --checkpoint");
            }
            return;
        }
        FileStatus[] inside = fs.exists(checkpoint) ? fs.listStatus(checkpoint) : new FileStatus[0];
        if (inside.length > 0) {
            throw new JobFailure("checkpoint " + checkpoint + " is not empty and was not made by LayerNormJob"
                    + " --incremental (it has no " + RECORD + "); give a new folder");
        }
        if (outputHasLog) {
            throw new JobFailure("output " + output + " holds the work of another checkpoint (its " + SINK_LOG
                    + " log); continue with that --checkpoint, or give a new --output");
        }
        if (fs.exists(output) && fs.listStatus(output).length > 0) {
            throw new JobFailure("output " + output + " exists and is not an incremental output; give a new --output"
                    + " (an incremental run appends to an output it started)");
        }
        fs.mkdirs(checkpoint);
        try (OutputStream out = fs.create(record, false)) {
            wanted.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8),
                    "LayerNormJob --incremental: the input and output this checkpoint belongs to");
        }
    }
}
