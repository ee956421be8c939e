package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import io.github.sparklayernorm.ml.exec.internal.SparkInternals;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * How a transform runs inside Spark:
 *
 * <ul>
 *   <li>{@link #EXPRESSION}: cell by cell on the Java engine, as Catalyst expressions in Spark's own
 *       plan ({@link CellPath}): Spark prunes the columns a query does not read, collapses the
 *       projection into its neighbours and generates code around it. The path for the Java engine.</li>
 *   <li>{@link #BATCHES}: partition by partition, in batches of rows ({@link PartitionNormalizer}):
 *       what a device needs, and what the statistics columns use.</li>
 * </ul>
 *
 * <p>Chosen per transform on the driver, by the Spark setting {@value #SETTING}: {@code auto} (the
 * default) takes the expression path unless the batched one is needed: backend {@code opencl},
 * backend {@code auto} where a GPU may be found (Spark schedules GPUs for tasks or executors, or in
 * local mode OpenCL lists one in this JVM), statistics columns, {@code keep} over several columns
 * (a row's null outputs are counted once per row, which needs the row's columns together), or
 * input rows the driver holds (Spark evaluates expressions over those on the driver, where no task
 * counts them).
 * {@code expression} and {@code batches} force a path; forcing the expression path where it
 * cannot serve fails, naming the setting.
 */
public enum ExecutionPath {
    EXPRESSION,
    BATCHES;

    /** The Spark setting (session or Spark conf) that picks the path. */
    public static final String SETTING = "spark.layernorm.execution";

    public static ExecutionPath choose(Dataset<Row> input, String stage, Backend backend, NormalizationPlan plan,
                                       HandleInvalid handleInvalid) {
        SparkSession session = input.sparkSession();
        String value = session.conf().get(SETTING, "auto").trim().toLowerCase(Locale.ROOT);
        String needsBatches = needsBatches(backend, plan, handleInvalid);
        if (needsBatches == null && SparkInternals.readsLocalRows(input)) {
            // Spark would evaluate the expressions on the driver, outside any task: nothing
            // would count the rows. Local rows are few; batches serve them.
            needsBatches = "input rows held by the driver (a local relation)";
        }
        switch (value) {
            case "batches":
                return BATCHES;
            case "expression":
                if (needsBatches != null) {
                    throw new IllegalArgumentException(stage + ": " + SETTING + "=expression, but " + needsBatches
                            + " needs the batched path; set " + SETTING + " to auto or batches");
                }
                return EXPRESSION;
            case "auto":
                if (needsBatches != null) {
                    return BATCHES;
                }
                return backend == Backend.AUTO && autoMayUseGpu(session) ? BATCHES : EXPRESSION;
            default:
                throw new IllegalArgumentException("the Spark setting " + SETTING + " is '" + value
                        + "'; use auto (the default), expression or batches");
        }
    }

    /** The Spark setting that shapes the OpenCL kernel: auto (the default), row or group. */
    public static final String KERNEL_SETTING = "spark.layernorm.opencl.kernel";

    /**
     * The OpenCL kernel's shape from {@value #KERNEL_SETTING}: {@code auto} (the group shape on
     * GPUs, the row shape on other devices), {@code row} or {@code group}; any other value fails,
     * naming the setting.
     */
    public static KernelShape kernelShape(SparkSession session) {
        String value = session.conf().get(KERNEL_SETTING, "auto");
        KernelShape shape = KernelShape.parse(value);
        if (shape == null) {
            throw new IllegalArgumentException("the Spark setting " + KERNEL_SETTING + " is '" + value + "'; use "
                    + KernelShape.NAMES + " (auto: the group kernel on GPUs, the row kernel on other devices)");
        }
        return shape;
    }

    /**
     * The Spark setting that lets backend {@code auto} measure, per executor and row shape, whether
     * the GPU (transfers included) or the Java engine is faster, and keep the faster: true (the
     * default) or false (the GPU whenever one is found).
     */
    public static final String CALIBRATE_SETTING = "spark.layernorm.auto.calibrate";

    public static boolean calibrate(SparkSession session) {
        String value = session.conf().get(CALIBRATE_SETTING, "true").trim();
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("the Spark setting " + CALIBRATE_SETTING + " is '" + value
                    + "'; use true (the default: auto measures the GPU against the Java engine) or false");
        }
        return Boolean.parseBoolean(value);
    }

    /** Why this stage needs the batched path whatever the setting, or {@code null}. */
    private static String needsBatches(Backend backend, NormalizationPlan plan, HandleInvalid handleInvalid) {
        if (backend == Backend.OPENCL) {
            return "backend 'opencl'";
        }
        if (plan.statistics().any()) {
            return "a statistics column (meanCol, invStdDevCol)";
        }
        if (handleInvalid == HandleInvalid.KEEP && plan.bindings().size() > 1) {
            return "handleInvalid 'keep' over several columns";
        }
        return null;
    }

    /**
     * Whether backend {@code auto} may find a GPU in the tasks: Spark schedules GPUs, or, in local
     * mode (tasks run in this JVM), OpenCL lists one here. On a cluster, executors' GPUs are used
     * when Spark's resource scheduling assigns them (spark.executor.resource.gpu.amount).
     */
    private static boolean autoMayUseGpu(SparkSession session) {
        SparkConf conf = session.sparkContext().getConf();
        if (positive(conf.get("spark.task.resource.gpu.amount", "0"))
                || positive(conf.get("spark.executor.resource.gpu.amount", "0"))) {
            return true;
        }
        return session.sparkContext().isLocal() && BackendSelector.autoUsesOpenCl();
    }

    private static boolean positive(String amount) {
        try {
            return Double.parseDouble(amount.trim()) > 0;
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
