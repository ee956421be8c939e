package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.ml.exec.internal.SparkInternals;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;

/**
 * Where a stage's transform enters execution inside Spark: it reads the {@code spark.layernorm.*}
 * settings of the session, chooses the path ({@link ExecutionPath}) and builds the plan of the
 * result, as Catalyst expressions ({@link CellPath}) or as a node that runs the
 * {@link PartitionNormalizer} over batches. Builds the plan only: nothing runs until an action.
 */
public final class Execution {

    /** The Spark setting (session or Spark conf) that picks the path: auto (the default), expression or batches. */
    public static final String PATH_SETTING = "spark.layernorm.execution";

    /** The Spark setting that shapes the OpenCL kernel: auto (the default), row or group. */
    public static final String KERNEL_SETTING = "spark.layernorm.opencl.kernel";

    /**
     * The Spark setting that lets backend {@code auto} measure, per executor and row shape, whether
     * the GPU (transfers included) or the Java engine is faster, and keep the faster: true (the
     * default) or false (the GPU whenever one is found).
     */
    public static final String CALIBRATE_SETTING = "spark.layernorm.auto.calibrate";

    private Execution() {
    }

    /**
     * The stage's result over {@code input}: its columns, then the plan's outputs.
     *
     * @param stage how messages name the stage ("LayerNormalizer layerNorm_3f2a")
     * @param batchRows most rows per batch on the batched path
     * @param metrics the stage's counts, filled in as jobs run the result
     */
    public static Dataset<Row> transform(Dataset<Row> input, String stage, NormalizationPlan plan,
                                         HandleInvalid handleInvalid, Backend backend, int batchRows,
                                         NormalizerMetrics metrics) {
        RuntimeConfig conf = input.sparkSession().conf();
        String path = conf.get(PATH_SETTING, "auto").trim().toLowerCase(Locale.ROOT);
        if (ExecutionPath.choose(path, input, stage, backend, plan, handleInvalid) == ExecutionPath.EXPRESSION) {
            return CellPath.apply(input, stage, plan, handleInvalid, metrics);
        }
        PartitionNormalizer normalizer = new PartitionNormalizer(stage, plan, handleInvalid, backend,
                kernelShape(conf), calibrate(conf), batchRows, metrics);
        // Spark's internal rows in and out (see PartitionNormalizer), as a node of the query's own
        // plan: it runs in every job of a batch query and in every micro-batch of a stream.
        return SparkInternals.mapPartitions(input, normalizer, plan.outputSchema());
    }

    /**
     * The OpenCL kernel's shape from {@value #KERNEL_SETTING}: {@code auto} (the group shape on
     * GPUs, the row shape on other devices), {@code row} or {@code group}; any other value fails,
     * naming the setting.
     */
    private static KernelShape kernelShape(RuntimeConfig conf) {
        String value = conf.get(KERNEL_SETTING, "auto");
        KernelShape shape = KernelShape.parse(value);
        if (shape == null) {
            throw new IllegalArgumentException("the Spark setting " + KERNEL_SETTING + " is '" + value + "'; use "
                    + KernelShape.NAMES + " (auto: the group kernel on GPUs, the row kernel on other devices)");
        }
        return shape;
    }

    private static boolean calibrate(RuntimeConfig conf) {
        String value = conf.get(CALIBRATE_SETTING, "true").trim();
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("the Spark setting " + CALIBRATE_SETTING + " is '" + value
                    + "'; use true (the default: auto measures the GPU against the Java engine) or false");
        }
        return Boolean.parseBoolean(value);
    }
}
