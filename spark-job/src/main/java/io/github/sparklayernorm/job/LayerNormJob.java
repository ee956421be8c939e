package io.github.sparklayernorm.job;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.ml.LayerNormalizer;
import io.github.sparklayernorm.ml.RmsNormalizer;
import io.github.sparklayernorm.ml.RowNormalizer;
import io.github.sparklayernorm.ml.exec.HandleInvalid;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The batch job: reads a dataset, layer-normalizes its vector or array columns with
 * {@link LayerNormalizer}, writes the result, and prints a summary.
 *
 * <pre>
 * spark-submit --class io.github.sparklayernorm.job.LayerNormJob spark-layernorm-job_2.13-VERSION-all.jar \
 *     --input in.parquet --output out.parquet --input-col features
 * </pre>
 *
 * Without a master from spark-submit it runs embedded in {@code local[*]}. Exit codes: 0 done,
 * 1 the job could not run (one line says why; nothing is written or destroyed), 2 bad arguments
 * (with the usage) or paths that overlap (one line names both).
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

    /** Spark's save modes that make sense here. */
    enum Mode { errorifexists, overwrite }

    /** Layer normalization or RMS normalization. */
    enum Norm { layer, rms }

    /**
     * The options that set a param of the stage take its default, and are checked by its rule: one
     * source for each, so that the job and the stage cannot drift.
     */
    static final class StageDefaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!arg.isOption()) {
                return null;
            }
            RowNormalizer<?> stage = new LayerNormalizer();
            Param<?> param = stageParam(stage, ((OptionSpec) arg).longestName());
            return param == null ? null : String.valueOf(stage.getOrDefault(param));
        }
    }

    /** The stage's param that {@code option} sets, or {@code null} for an option of the job's own. */
    static Param<?> stageParam(RowNormalizer<?> stage, String option) {
        switch (option) {
            case "--epsilon":
                return stage.epsilon();
            case "--backend":
                return stage.backend();
            case "--handle-invalid":
                return stage.handleInvalid();
            case "--batch-size":
                return stage.batchSize();
            default:
                return null;
        }
    }

    /** The values the stage's {@code backend} param takes. */
    static final class BackendNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.asList(Backend.NAMES).iterator();
        }
    }

    /** The values the stage's {@code handleInvalid} param takes. */
    static final class HandleInvalidNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.asList(HandleInvalid.NAMES).iterator();
        }
    }

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

    @Option(names = "--epsilon", paramLabel = "E",
            description = "Added to the variance; finite and > 0 (default: ${DEFAULT-VALUE}).")
    double epsilon;

    @Option(names = "--scale", paramLabel = "VALUES|FILE",
            description = "Gamma: a comma list, a file of numbers, a .npy file, or FILE.safetensors:TENSOR.")
    String scale;

    @Option(names = "--shift", paramLabel = "VALUES|FILE",
            description = "Beta (layer norm only): a comma list, a file of numbers, a .npy file, or FILE.safetensors:TENSOR.")
    String shift;

    @Option(names = "--backend", paramLabel = "BACKEND", completionCandidates = BackendNames.class,
            description = "Engine: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--handle-invalid", paramLabel = "POLICY", completionCandidates = HandleInvalidNames.class,
            description = "Invalid rows: ${COMPLETION-CANDIDATES}: fail, drop, or keep with a null output"
                    + " (default: ${DEFAULT-VALUE}).")
    String handleInvalid;

    @Option(names = "--allow-empty-output", description = "Write the output even when every row read was skipped"
            + " (otherwise such a run fails and leaves any old output alone).")
    boolean allowEmptyOutput;

    @Option(names = "--batch-size", paramLabel = "ROWS",
            description = "Rows per engine batch, 1 to " + RowNormalizer.MAX_BATCH_SIZE + " (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--input-format", paramLabel = "FORMAT", defaultValue = "parquet",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DataFormat inputFormat;

    @Option(names = "--output-format", paramLabel = "FORMAT", defaultValue = "parquet",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DataFormat outputFormat;

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

    @Option(names = "--wait-for-lock", description = "When another run is writing --output, wait for it to finish"
            + " (otherwise such a run is refused at once).")
    boolean waitForLock;

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
        return commandLine(new LayerNormJob(out, err)).setOut(out).setErr(err).execute(args);
    }

    /** The job's command line: its options, with the stage's defaults. */
    static CommandLine commandLine(LayerNormJob job) {
        return new CommandLine(job).setDefaultValueProvider(new StageDefaults()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** Values picocli's types let through but the job cannot use: a usage error (exit 2), like a bad type. */
    void validateArguments() {
        // The stage's names are lower case; the job, like its other choices, takes any case.
        backend = backend.toLowerCase(Locale.ROOT);
        handleInvalid = handleInvalid.toLowerCase(Locale.ROOT);
        RowNormalizer<?> stage = new LayerNormalizer();
        checkStageParam(stage, "--epsilon", epsilon);
        checkStageParam(stage, "--backend", backend);
        checkStageParam(stage, "--handle-invalid", handleInvalid);
        checkStageParam(stage, "--batch-size", batchSize);
        if (!(progressInterval > 0) || progressInterval > 86_400) {
            throw new ParameterException(spec.commandLine(), "--progress-interval must be > 0 and at most a day, in"
                    + " seconds; got " + progressInterval);
        }
        if (groupSize != null && groupSize < 1) {
            throw new ParameterException(spec.commandLine(), "--group-size must be >= 1; got " + groupSize);
        }
        if (generateSample != null) {
            try {
                SampleData.parse(generateSample);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
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

    /** A value the stage's param refuses is a usage error (exit 2), said with the param's own words. */
    @SuppressWarnings("unchecked")
    private void checkStageParam(RowNormalizer<?> stage, String option, Object value) {
        Param<Object> param = (Param<Object>) stageParam(stage, option);
        if (!Boolean.TRUE.equals(param.isValid().apply(value))) {
            throw new ParameterException(spec.commandLine(), option + " is " + value + "; the stage's " + param.name()
                    + " is " + param.doc());
        }
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
            FileSystem outputFs = target.getFileSystem(hadoop);
            refuseOverlappingPaths(hadoop);
            // The lock sits beside the output: its folder is made now, as the write would make it.
            Path parent = outputFs.makeQualified(target).getParent();
            if (parent != null) {
                outputFs.mkdirs(parent);
            }
            try (OutputLock lock = OutputLock.acquire(outputFs, target, waitForLock, err)) {
                if (!incremental) {
                    for (String recovered : OutputCommit.recover(outputFs, target)) {
                        err.println("LayerNormJob: " + recovered);
                    }
                }
                return normalizeAndWrite(spark, hadoop, normalizer, start);
            }
        } catch (PathOverlap.PathConflict e) {
            err.println("LayerNormJob: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IllegalArgumentException | IOException | JobFailure e) {
            err.println("LayerNormJob: " + e.getMessage());
            err.flush();
            return 1;
        } catch (RuntimeException e) {
            err.println("LayerNormJob: failed: " + JobFailure.rootMessage(e));
            err.flush();
            return 1;
        } finally {
            if (spark != null && ownSession) {
                spark.stop();
            }
        }
    }

    /** Holding the output's lock, with what a killed run left settled: the run itself. */
    private int normalizeAndWrite(SparkSession spark, Configuration hadoop, RowNormalizer<?> normalizer, long start)
            throws IOException, JobFailure {
        Path target = new Path(output);
        if (generateSample != null) {
            writeSample(spark, hadoop);
        }
        requireInput(hadoop);
        if (incremental) {
            IncrementalOutput.claim(target.getFileSystem(hadoop), new Path(checkpoint), new Path(input), target,
                    outputFormat.name());
        } else {
            requireOutputFree(hadoop);
        }

        JobProgress.step(spark, "reading the input");
        Dataset<Row> data = incremental ? inputFormat.readNewFiles(spark, input, inputCols, filesPerBatch)
                : inputFormat.read(spark, input, inputCols);
        Dataset<Row> normalized = normalizer.transform(data);
        JobOutput sink = new JobOutput(spark, output, outputFormat);
        long written;
        long normalizing = System.nanoTime();
        try (JobProgress shown = new JobProgress(spark.sparkContext(), normalizer, err,
                JobProgress.choose(quiet, progress), Math.round(progressInterval * 1000))) {
            written = incremental ? sink.append(normalized, checkpoint)
                    : sink.replace(normalized, normalizer, mode == Mode.overwrite, allowEmptyOutput);
        }
        long end = System.nanoTime();
        new JobSummary(normalizer, written, incremental, (end - normalizing) / 1e9, (end - start) / 1e9, output,
                outputFormat).print(out);
        return 0;
    }

    /**
     * Before anything is written or moved: the output and the checkpoint must not be, hold or lie
     * inside what the input reads, nor each other.
     */
    private void refuseOverlappingPaths(Configuration hadoop) throws IOException, PathOverlap.PathConflict {
        PathOverlap.refuseOverlapWithInput(hadoop, input, "--output", output);
        if (checkpoint != null) {
            PathOverlap.refuseOverlapWithInput(hadoop, input, "--checkpoint", checkpoint);
            PathOverlap.refuseOverlap(hadoop, "--checkpoint", checkpoint, "--output", output);
        }
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
                .setBackend(backend)
                .setHandleInvalid(handleInvalid)
                .setBatchSize(batchSize);
        if (scale != null) {
            normalizer.setScale(AffineValues.parse("--scale", scale));
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

    /** Writes the sample to --input in --input-format, unless something is there already. */
    private void writeSample(SparkSession spark, Configuration hadoop) throws IOException {
        Path path = new Path(input);
        if (path.getFileSystem(hadoop).exists(path)) {
            return;
        }
        SampleData sample = SampleData.parse(generateSample);
        JobProgress.step(spark, "writing the sample");
        inputFormat.writable(sample.frame(spark)).write().format(inputFormat.name()).option("header", "true").save(input);
        out.println("LayerNormJob: wrote a sample of " + sample.rows + " rows x " + sample.d + " values to " + input);
    }
}
