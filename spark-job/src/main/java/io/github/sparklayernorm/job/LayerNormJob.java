package io.github.sparklayernorm.job;

import io.github.sparklayernorm.ml.LayerNormalizer;
import io.github.sparklayernorm.ml.RmsNormalizer;
import io.github.sparklayernorm.ml.RowNormalizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The batch job: reads a dataset, layer-normalizes its vector or array columns with
 * {@link LayerNormalizer}, writes the result, and prints a summary.
 *
 * <pre>
 * spark-submit --class io.github.sparklayernorm.job.LayerNormJob spark-core-VERSION-job.jar \
 *     --input in.parquet --output out.parquet --input-col features
 * </pre>
 *
 * Without a master from spark-submit it runs embedded in {@code local[*]}. Exit codes: 0 done,
 * 1 the job could not run (one line says why; nothing is written or destroyed), 2 bad arguments
 * (with the usage).
 */
@Command(name = "LayerNormJob", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = LayerNormJob.BuildVersion.class,
        description = "Layer-normalizes vector or array columns of a dataset (each row over its own values)"
                + " and writes the result.")
public final class LayerNormJob implements Callable<Integer> {

    /** The version line, from what the build wrote into the jar (one version for the whole project). */
    static final class BuildVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            java.util.Properties build = new java.util.Properties();
            try (java.io.InputStream in = LayerNormJob.class.getResourceAsStream("/io/github/sparklayernorm/build.properties")) {
                if (in != null) {
                    build.load(in);
                }
            }
            return new String[] {"spark-layernorm LayerNormJob " + build.getProperty("version", "(unknown version)")
                    + " (built for Spark " + build.getProperty("spark", "?") + ", Scala "
                    + build.getProperty("scala", "?") + ")"};
        }
    }

    /** Output formats and input formats. */
    enum Format { parquet, orc, json, csv }

    /** Spark's save modes that make sense here. */
    enum Mode { errorifexists, overwrite }

    /** Layer normalization or RMS normalization. */
    enum Norm { layer, rms }

    /** The stage's backends (its {@code backend} param). */
    enum BackendChoice { auto, java, opencl }

    /** The stage's {@code handleInvalid} values. */
    enum InvalidRows { error, skip, keep }

    /** The most values --generate-sample writes: the sample is built on the driver. */
    static final long MAX_SAMPLE_VALUES = 50_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "Input dataset: a path, or a glob such as 'data/*.parquet'.")
    String input;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output dataset.")
    String output;

    @Option(names = "--input-col", required = true, paramLabel = "NAME",
            description = "Column to normalize (vector, array<double> or array<float>); repeat for several.")
    List<String> inputCols;

    @Option(names = "--output-col", paramLabel = "NAME",
            description = "Output column, one per --input-col, in order (default: <input>_normalized).")
    List<String> outputCols = new ArrayList<>();

    @Option(names = "--norm", paramLabel = "layer|rms", defaultValue = "layer",
            description = "Layer normalization or RMS normalization (no centering, no shift) (default: ${DEFAULT-VALUE}).")
    Norm norm;

    @Option(names = "--group-size", paramLabel = "N",
            description = "Normalize each block of N values of a row on its own (scale/shift then have N values).")
    Integer groupSize;

    @Option(names = "--mean-col", paramLabel = "NAME", description = "Also write each row's mean (layer norm only).")
    String meanCol;

    @Option(names = "--inv-std-dev-col", paramLabel = "NAME",
            description = "Also write each row's 1/sqrt(var + epsilon) (for rms: the inverse RMS).")
    String invStdDevCol;

    @Option(names = "--epsilon", paramLabel = "E", defaultValue = "1e-5",
            description = "Added to the variance; finite and > 0 (default: ${DEFAULT-VALUE}).")
    double epsilon;

    @Option(names = "--scale", paramLabel = "VALUES|FILE",
            description = "Gamma: a comma list, a file of numbers, a .npy file, or FILE.safetensors:TENSOR.")
    String scale;

    @Option(names = "--shift", paramLabel = "VALUES|FILE",
            description = "Beta (layer norm only): a comma list, a file of numbers, a .npy file, or FILE.safetensors:TENSOR.")
    String shift;

    @Option(names = "--backend", paramLabel = "auto|java|opencl", defaultValue = "auto",
            description = "Engine (default: ${DEFAULT-VALUE}).")
    BackendChoice backend;

    @Option(names = "--handle-invalid", paramLabel = "error|skip|keep", defaultValue = "error",
            description = "Invalid rows: fail, drop, or keep with a null output (default: ${DEFAULT-VALUE}).")
    InvalidRows handleInvalid;

    @Option(names = "--allow-empty-output", description = "Write the output even when every row read was skipped"
            + " (otherwise such a run fails and leaves any old output alone).")
    boolean allowEmptyOutput;

    @Option(names = "--batch-size", paramLabel = "ROWS",
            description = "Rows per engine batch, 1 to " + RowNormalizer.MAX_BATCH_SIZE + ".")
    Integer batchSize;

    @Option(names = "--input-format", paramLabel = "FORMAT", defaultValue = "parquet",
            description = "parquet, orc, json or csv (default: ${DEFAULT-VALUE}).")
    Format inputFormat;

    @Option(names = "--output-format", paramLabel = "FORMAT", defaultValue = "parquet",
            description = "parquet, orc, json or csv (default: ${DEFAULT-VALUE}).")
    Format outputFormat;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "errorifexists",
            description = "errorifexists or overwrite (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--incremental", description = "Read only the input files that no earlier --incremental run"
            + " with this --checkpoint has processed, and append their rows to --output: across runs, each row is"
            + " written once, also after a run was killed (Structured Streaming's file source and sink, run until"
            + " the input's files are done). Needs --checkpoint; --input is a folder or a glob.")
    boolean incremental;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Where --incremental runs keep which input files they have processed; one per input and"
                    + " output.")
    String checkpoint;

    @Option(names = "--files-per-batch", paramLabel = "N",
            description = "With --incremental, at most N new input files per micro-batch (default: all of them in"
                    + " one); a killed run then redoes at most one micro-batch.")
    Integer filesPerBatch;

    @Option(names = "--quiet", description = "Show no progress while the job runs.")
    boolean quiet;

    @Option(names = "--progress", description = "Show progress as a line redrawn in place, even when stderr is not a"
            + " terminal (by default: so on a terminal, else a line per finished stage and at most one per interval).")
    boolean progress;

    @Option(names = "--progress-interval", paramLabel = "SECONDS", defaultValue = "30",
            description = "Longest time between progress lines when stderr is not a terminal (default: ${DEFAULT-VALUE}).")
    double progressInterval;

    @Option(names = "--generate-sample", paramLabel = "ROWSxD",
            description = "First write a sample of ROWS rows with a vector column 'features' of D values to --input,"
                    + " if nothing is there yet.")
    String generateSample;

    private final PrintWriter out;
    private final PrintWriter err;

    LayerNormJob(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the job; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine command = new CommandLine(new LayerNormJob(out, err))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(out)
                .setErr(err);
        return command.execute(args);
    }

    /** Values picocli's types let through but the job cannot use: a usage error (exit 2), like a bad type. */
    private void validateArguments() {
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new ParameterException(spec.commandLine(), "--epsilon must be finite and > 0; got " + epsilon);
        }
        if (batchSize != null && (batchSize < 1 || batchSize > RowNormalizer.MAX_BATCH_SIZE)) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be from 1 to "
                    + RowNormalizer.MAX_BATCH_SIZE + "; got " + batchSize);
        }
        if (!(progressInterval > 0) || progressInterval > 86_400) {
            throw new ParameterException(spec.commandLine(), "--progress-interval must be > 0 and at most a day, in"
                    + " seconds; got " + progressInterval);
        }
        if (groupSize != null && groupSize < 1) {
            throw new ParameterException(spec.commandLine(), "--group-size must be >= 1; got " + groupSize);
        }
        if (generateSample != null) {
            sampleShape();
        }
        if (incremental && checkpoint == null) {
            throw new ParameterException(spec.commandLine(), "--incremental needs --checkpoint DIR: where the runs"
                    + " keep which input files they have processed");
        }
        if (!incremental && (checkpoint != null || filesPerBatch != null)) {
            throw new ParameterException(spec.commandLine(), (checkpoint != null ? "--checkpoint" : "--files-per-batch")
                    + " is for --incremental runs; add --incremental, or drop it");
        }
        if (incremental && mode == Mode.overwrite) {
            throw new ParameterException(spec.commandLine(), "--incremental appends to --output; --mode overwrite"
                    + " would replace it. Drop --mode, or drop --incremental for a run over the whole input");
        }
        if (filesPerBatch != null && filesPerBatch < 1) {
            throw new ParameterException(spec.commandLine(), "--files-per-batch must be >= 1; got " + filesPerBatch);
        }
    }

    /** --generate-sample's ROWSxD, checked: both at least 1, and at most MAX_SAMPLE_VALUES values in all. */
    private long[] sampleShape() {
        String[] parts = generateSample.toLowerCase(Locale.ROOT).split("x", -1);
        long rows = -1;
        long d = -1;
        if (parts.length == 2) {
            try {
                rows = Long.parseLong(parts[0].trim());
                d = Long.parseLong(parts[1].trim());
            } catch (NumberFormatException e) {
                rows = -1;
            }
        }
        if (rows < 1 || d < 1 || rows > MAX_SAMPLE_VALUES / d) {
            throw new ParameterException(spec.commandLine(), "--generate-sample wants ROWSxD with ROWS and D at least 1"
                    + " and at most " + MAX_SAMPLE_VALUES + " values in all, such as 10000x16; got '"
                    + generateSample + "'");
        }
        return new long[] {rows, d};
    }

    @Override
    public Integer call() {
        validateArguments();
        long start = System.nanoTime();
        SparkSession spark = null;
        // Stop Spark at the end only if this job started it (not when run inside an application).
        boolean ownSession = SparkSession.getDefaultSession().isEmpty();
        try {
            RowNormalizer<?> normalizer = normalizer();
            spark = session();
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            Path target = new Path(output);
            if (!incremental) {
                String recovered = OutputCommit.recover(target.getFileSystem(hadoop), target);
                if (recovered != null) {
                    err.println("LayerNormJob: " + recovered);
                }
            }
            if (generateSample != null) {
                generateSample(spark, hadoop);
            }
            requireInput(hadoop);
            if (incremental) {
                IncrementalOutput.claim(target.getFileSystem(hadoop), new Path(checkpoint), new Path(input), target,
                        outputFormat.name());
            } else {
                requireOutputFree(hadoop);
            }

            Dataset<Row> data = incremental ? readNewFiles(spark) : read(spark);
            Dataset<Row> normalized = normalizer.transform(data);
            long written;
            try (JobProgress shown = new JobProgress(spark.sparkContext(), normalizer, err,
                    JobProgress.choose(quiet, progress), Math.round(progressInterval * 1000))) {
                written = incremental ? append(spark, normalized, hadoop) : write(spark, normalized, normalizer, hadoop);
            }

            double seconds = (System.nanoTime() - start) / 1e9;
            out.println("LayerNormJob summary");
            out.printf(Locale.ROOT, "  rows read:     %d%n", normalizer.rowsRead());
            out.printf(Locale.ROOT, "  rows written:  %d%n", written);
            out.printf(Locale.ROOT, "  rows skipped:  %d%s%n", normalizer.rowsSkipped(),
                    byReason(normalizer.rowsSkippedByReason()));
            long kept = normalizer.rowsKeptByReason().values().stream().mapToLong(Long::longValue).sum();
            if (kept > 0) {
                out.printf(Locale.ROOT, "  rows kept with a null output: %d%s%n", kept,
                        byReason(normalizer.rowsKeptByReason()));
            }
            for (Map.Entry<String, Long> e : normalizer.rowsByBackend().entrySet()) {
                out.printf(Locale.ROOT, "  rows on %s: %d%n", e.getKey(), e.getValue());
            }
            out.printf(Locale.ROOT, "  time:          %.1f s%n", seconds);
            out.printf(Locale.ROOT, "  output:        %s (%s)%n", output, outputFormat);
            out.flush();
            return 0;
        } catch (IllegalArgumentException | IOException | JobFailure e) {
            err.println("LayerNormJob: " + e.getMessage());
            err.flush();
            return 1;
        } catch (RuntimeException e) {
            err.println("LayerNormJob: failed: " + rootMessage(e));
            err.flush();
            return 1;
        } finally {
            if (spark != null && ownSession) {
                spark.stop();
            }
        }
    }

    /** A reason to stop that is the user's to fix, said in one line. */
    static final class JobFailure extends Exception {
        private static final long serialVersionUID = 1L;

        JobFailure(String message) {
            super(message);
        }
    }

    /** " (null: 3, length: 1)", or "" when there is nothing to say. */
    private static String byReason(Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        counts.forEach((reason, n) -> text.append(text.length() > 2 ? ", " : "").append(reason).append(": ").append(n));
        return text.append(')').toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        String message = String.valueOf(e.getMessage());
        while (t != null) {
            if (t instanceof IllegalArgumentException && t.getMessage() != null) {
                message = t.getMessage();
            }
            t = t.getCause();
        }
        return message;
    }

    private RowNormalizer<?> normalizer() {
        if (!outputCols.isEmpty() && outputCols.size() != inputCols.size()) {
            throw new IllegalArgumentException(inputCols.size() + " --input-col but " + outputCols.size()
                    + " --output-col; give one output column per input column, or none for the defaults");
        }
        List<String> outputs = new ArrayList<>(outputCols);
        if (outputs.isEmpty()) {
            for (String in : inputCols) {
                outputs.add(in + "_normalized");
            }
        }
        RowNormalizer<?> normalizer;
        if (norm == Norm.rms) {
            if (shift != null || meanCol != null) {
                throw new IllegalArgumentException("--norm rms has no shift and no mean; drop --shift and --mean-col");
            }
            normalizer = new RmsNormalizer();
        } else {
            LayerNormalizer ln = new LayerNormalizer();
            if (shift != null) {
                ln.setShift(AffineValues.parse("--shift", shift));
            }
            if (meanCol != null) {
                ln.setMeanCol(meanCol);
            }
            normalizer = ln;
        }
        normalizer.setInputCols(inputCols.toArray(new String[0]))
                .setOutputCols(outputs.toArray(new String[0]))
                .setEpsilon(epsilon)
                .setBackend(backend.name())
                .setHandleInvalid(handleInvalid.name());
        if (scale != null) {
            normalizer.setScale(AffineValues.parse("--scale", scale));
        }
        if (batchSize != null) {
            normalizer.setBatchSize(batchSize);
        }
        if (groupSize != null) {
            normalizer.setGroupSize(groupSize);
        }
        if (invStdDevCol != null) {
            normalizer.setInvStdDevCol(invStdDevCol);
        }
        return normalizer;
    }

    private static SparkSession session() {
        SparkSession.Builder builder = SparkSession.builder().appName("LayerNormJob");
        if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]").config("spark.ui.enabled", "false");
        }
        return builder.getOrCreate();
    }

    /** The input exists: a path, or a glob that matches at least one. */
    private void requireInput(Configuration hadoop) throws IOException, JobFailure {
        Path path = new Path(input);
        FileStatus[] matches = path.getFileSystem(hadoop).globStatus(path);
        if (matches == null || matches.length == 0) {
            throw new JobFailure("input " + input + (input.matches(".*[*?\\[{].*") ? " matches nothing" : " does not exist"));
        }
    }

    private void requireOutputFree(Configuration hadoop) throws IOException, JobFailure {
        Path path = new Path(output);
        if (mode == Mode.errorifexists && path.getFileSystem(hadoop).exists(path)) {
            throw new JobFailure("output " + output + " already exists; pass --mode overwrite to replace it");
        }
    }

    private Dataset<Row> read(SparkSession spark) {
        DataFrameReader reader = spark.read().format(inputFormat.name());
        if (inputFormat == Format.csv) {
            reader = reader.option("header", "true").option("inferSchema", "true");
        }
        return arraysFromJson(reader.load(input));
    }

    /**
     * The input files that earlier runs with this checkpoint have not processed, as a stream that
     * Spark's file source reads in the input's schema (read from the files as a batch read would).
     */
    private Dataset<Row> readNewFiles(SparkSession spark) {
        DataFrameReader schemaReader = spark.read().format(inputFormat.name());
        if (inputFormat == Format.csv) {
            schemaReader = schemaReader.option("header", "true").option("inferSchema", "true");
        }
        DataStreamReader reader = spark.readStream().format(inputFormat.name())
                .schema(schemaReader.load(input).schema());
        if (inputFormat == Format.csv) {
            reader = reader.option("header", "true");
        }
        if (filesPerBatch != null) {
            reader = reader.option("maxFilesPerTrigger", (long) filesPerBatch);
        }
        return arraysFromJson(reader.load(input));
    }

    /** CSV has no arrays: the job writes them as JSON arrays ("[1.0,2.0]") and reads them back so. */
    private Dataset<Row> arraysFromJson(Dataset<Row> data) {
        if (inputFormat == Format.csv) {
            for (String col : inputCols) {
                if (data.schema().getFieldIndex(col).isDefined()
                        && data.schema().apply(col).dataType().equals(DataTypes.StringType)) {
                    data = data.withColumn(col, functions.from_json(functions.col(quoted(col)),
                            DataTypes.createArrayType(DataTypes.DoubleType)));
                }
            }
        }
        return data;
    }

    /**
     * Writes to a fresh folder beside the output and moves it into place only when the job has
     * succeeded ({@link OutputCommit}), so a failing job never leaves a half-written output nor
     * destroys the old one. A run that read rows and would write none fails unless
     * {@code --allow-empty-output}. Returns the rows written, counted from what was written (not
     * from counters a retried task could have bumped twice).
     */
    private long write(SparkSession spark, Dataset<Row> normalized, RowNormalizer<?> normalizer, Configuration hadoop)
            throws IOException, JobFailure {
        Dataset<Row> data = inOutputFormat(normalized);
        Path target = new Path(output);
        FileSystem fs = target.getFileSystem(hadoop);
        Path staging = OutputCommit.stagingFor(target);
        boolean handedOver = false;
        try {
            data.write().format(outputFormat.name()).option("header", "true").save(staging.toString());
            long written = rowsIn(spark, fs, staging);
            long read = normalizer.rowsRead();
            if (written == 0 && read > 0 && !allowEmptyOutput) {
                throw new JobFailure("read " + read + " rows and would write none: " + normalizer.rowsSkipped()
                        + " were skipped as invalid" + byReason(normalizer.rowsSkippedByReason())
                        + "; nothing was written" + (fs.exists(target) ? " and " + output + " was left alone" : "")
                        + ". Fix the data, or pass --allow-empty-output to write an empty output");
            }
            handedOver = true;
            OutputCommit.replace(fs, staging, target, mode == Mode.overwrite);
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
    private long append(SparkSession spark, Dataset<Row> normalized, Configuration hadoop)
            throws IOException, JobFailure {
        Dataset<Row> data = inOutputFormat(normalized);
        Path target = new Path(output);
        FileSystem fs = target.getFileSystem(hadoop);
        long before = committedRows(spark, fs, target);
        StreamingQuery query = start(data.writeStream().format(outputFormat.name()).option("header", "true")
                .option("checkpointLocation", checkpoint).outputMode("append").trigger(Trigger.AvailableNow()));
        try {
            query.awaitTermination();
        } catch (StreamingQueryException e) {
            throw new JobFailure("failed: " + rootMessage(e) + " (the micro-batches committed before stay written;"
                    + " the next run with this --checkpoint goes on from there)");
        }
        return committedRows(spark, fs, target) - before;
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
    private long committedRows(SparkSession spark, FileSystem fs, Path folder) {
        try {
            if (!fs.exists(new Path(folder, IncrementalOutput.SINK_LOG))) {
                return 0;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return spark.read().format(outputFormat.name()).option("header", "true").load(folder.toString()).count();
    }

    /**
     * The rows of a written folder, read back from its part files: Parquet and ORC answer from
     * their footers. (By the files, not the folder: Spark skips a folder whose name starts with
     * '.', as the staging folder's does so that readers of the parent skip it too.)
     */
    private long rowsIn(SparkSession spark, FileSystem fs, Path folder) throws IOException {
        FileStatus[] files = fs.globStatus(new Path(folder, "part-*"));
        if (files == null || files.length == 0) {
            return 0;
        }
        String[] paths = new String[files.length];
        for (int i = 0; i < files.length; i++) {
            paths[i] = files[i].getPath().toString();
        }
        return spark.read().format(outputFormat.name()).option("header", "true").load(paths).count();
    }

    /** The rows as the output format can hold them (vectors as arrays in JSON and CSV, arrays as JSON in CSV). */
    private Dataset<Row> inOutputFormat(Dataset<Row> normalized) {
        Dataset<Row> data = outputFormat == Format.csv || outputFormat == Format.json ? flatVectors(normalized)
                : normalized;
        return outputFormat == Format.csv ? arraysAsJson(data) : data;
    }

    /** JSON and CSV cannot hold Spark ML vectors: write them as arrays of doubles. */
    private static Dataset<Row> flatVectors(Dataset<Row> data) {
        List<Column> columns = new ArrayList<>();
        for (StructField field : data.schema().fields()) {
            Column column = functions.col(quoted(field.name()));
            if (field.dataType() instanceof VectorUDT) {
                column = org.apache.spark.ml.functions.vector_to_array(column, "float64").as(field.name());
            }
            columns.add(column);
        }
        return data.select(columns.toArray(new Column[0]));
    }

    private static Dataset<Row> arraysAsJson(Dataset<Row> data) {
        List<Column> columns = new ArrayList<>();
        for (StructField field : data.schema().fields()) {
            Column column = functions.col(quoted(field.name()));
            if (field.dataType() instanceof ArrayType) {
                column = functions.to_json(column).as(field.name());
            }
            columns.add(column);
        }
        return data.select(columns.toArray(new Column[0]));
    }

    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** Rows of device readings: a common pattern seen through each row's own gain and offset. */
    private void generateSample(SparkSession spark, Configuration hadoop) throws IOException {
        Path path = new Path(input);
        if (path.getFileSystem(hadoop).exists(path)) {
            return;
        }
        long[] shape = sampleShape();
        int rows = (int) shape[0];
        int d = (int) shape[1];
        SplittableRandom random = new SplittableRandom(42);
        List<Row> data = new ArrayList<>(rows);
        for (int id = 0; id < rows; id++) {
            double gain = Math.pow(10, -2 + 5 * random.nextDouble());
            double offset = 1e6 * (random.nextDouble() - 0.5);
            double[] values = new double[d];
            for (int j = 0; j < d; j++) {
                values[j] = offset + gain * (Math.sin(j) + 0.05 * (random.nextDouble() - 0.5));
            }
            data.add(RowFactory.create((long) id, Vectors.dense(values)));
        }
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});
        Dataset<Row> sample = flatVectorsFor(spark.createDataFrame(data, schema));
        sample.write().format(inputFormat.name()).option("header", "true").save(input);
        out.println("LayerNormJob: wrote a sample of " + rows + " rows x " + d + " values to " + input);
    }

    private Dataset<Row> flatVectorsFor(Dataset<Row> sample) {
        if (inputFormat == Format.csv) {
            return arraysAsJson(flatVectors(sample));
        }
        return inputFormat == Format.json ? flatVectors(sample) : sample;
    }
}
