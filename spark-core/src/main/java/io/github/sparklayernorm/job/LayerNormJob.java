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
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
        version = "spark-layernorm LayerNormJob 0.1.0",
        description = "Layer-normalizes vector or array columns of a dataset (each row over its own values)"
                + " and writes the result.")
public final class LayerNormJob implements Callable<Integer> {

    /** Output formats and input formats. */
    enum Format { parquet, orc, json, csv }

    /** Spark's save modes that make sense here. */
    enum Mode { errorifexists, overwrite }

    /** Layer normalization or RMS normalization. */
    enum Norm { layer, rms }

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Input dataset.")
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
    String backend;

    @Option(names = "--handle-invalid", paramLabel = "error|skip|keep", defaultValue = "error",
            description = "Invalid rows: fail, drop, or keep with a null output (default: ${DEFAULT-VALUE}).")
    String handleInvalid;

    @Option(names = "--batch-size", paramLabel = "ROWS", description = "Rows per engine batch.")
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

    @Override
    public Integer call() {
        long start = System.nanoTime();
        SparkSession spark = null;
        // Stop Spark at the end only if this job started it (not when run inside an application).
        boolean ownSession = SparkSession.getDefaultSession().isEmpty();
        try {
            RowNormalizer<?> normalizer = normalizer();
            spark = session();
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            if (generateSample != null) {
                generateSample(spark, hadoop);
            }
            requireInput(hadoop);
            requireOutputFree(hadoop);

            Dataset<Row> data = read(spark);
            Dataset<Row> normalized = normalizer.transform(data);
            write(normalized, hadoop);

            long read = normalizer.rowsRead();
            long skipped = normalizer.rowsSkipped();
            double seconds = (System.nanoTime() - start) / 1e9;
            out.println("LayerNormJob summary");
            out.printf(Locale.ROOT, "  rows read:     %d%n", read);
            out.printf(Locale.ROOT, "  rows written:  %d%n", read - skipped);
            out.printf(Locale.ROOT, "  rows skipped:  %d%n", skipped);
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
                .setBackend(backend.toLowerCase(Locale.ROOT))
                .setHandleInvalid(handleInvalid.toLowerCase(Locale.ROOT));
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

    private void requireInput(Configuration hadoop) throws IOException, JobFailure {
        Path path = new Path(input);
        if (!path.getFileSystem(hadoop).exists(path)) {
            throw new JobFailure("input " + input + " does not exist");
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
        Dataset<Row> data = reader.load(input);
        if (inputFormat == Format.csv) {
            // CSV has no arrays: the job writes them as JSON arrays ("[1.0,2.0]") and reads them back so.
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
     * succeeded, so a failing job never leaves a half-written output nor destroys the old one.
     */
    private void write(Dataset<Row> normalized, Configuration hadoop) throws IOException, JobFailure {
        Dataset<Row> data = outputFormat == Format.csv || outputFormat == Format.json ? flatVectors(normalized)
                : normalized;
        if (outputFormat == Format.csv) {
            data = arraysAsJson(data);
        }
        Path target = new Path(output);
        FileSystem fs = target.getFileSystem(hadoop);
        Path staging = new Path(target.getParent() == null ? new Path(".") : target.getParent(),
                "." + target.getName() + ".staging-" + System.nanoTime());
        try {
            data.write().format(outputFormat.name()).option("header", "true").save(staging.toString());
            if (fs.exists(target)) {
                if (mode != Mode.overwrite) {
                    throw new JobFailure("output " + output + " appeared while the job ran; it was left alone");
                }
                fs.delete(target, true);
            }
            if (!fs.rename(staging, target)) {
                throw new IOException("could not move " + staging + " to " + target);
            }
        } finally {
            if (fs.exists(staging)) {
                fs.delete(staging, true);
            }
        }
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
        String[] parts = generateSample.toLowerCase(Locale.ROOT).split("x");
        int rows;
        int d;
        try {
            rows = Integer.parseInt(parts[0]);
            d = Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--generate-sample wants ROWSxD, such as 10000x16; got '"
                    + generateSample + "'");
        }
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
