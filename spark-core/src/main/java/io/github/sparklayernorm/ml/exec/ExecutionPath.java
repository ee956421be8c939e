package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import io.github.sparklayernorm.ml.exec.internal.SparkInternals;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The two ways a transform runs inside Spark, and which one a stage takes ({@link Execution} asks):
 *
 * <ul>
 *   <li>{@link #EXPRESSION}: cell by cell on the Java engine, as Catalyst expressions in Spark's own
 *       plan ({@link CellPath}): Spark prunes the columns a query does not read, collapses the
 *       projection into its neighbours and generates code around it. The path for the Java engine.</li>
 *   <li>{@link #BATCHES}: partition by partition, in batches of rows ({@link PartitionNormalizer}):
 *       what a device needs, and what the statistics columns use.</li>
 * </ul>
 *
 * <p>Chosen per transform on the driver, by the Spark setting {@value Execution#PATH_SETTING}: {@code auto} (the
 * default) takes the expression path unless the batched one is needed: backend {@code opencl},
 * backend {@code auto} where a GPU may be found (Spark schedules GPUs for tasks or executors, or in
 * local mode OpenCL lists one in this JVM), statistics columns, {@code keep} over several columns
 * (a row's null outputs are counted once per row, which needs the row's columns together), or
 * input rows the driver holds (Spark evaluates expressions over those on the driver, where no task
 * counts them).
 * {@code expression} and {@code batches} force a path; forcing the expression path where it
 * cannot serve fails, naming the setting.
 */
enum ExecutionPath {
    EXPRESSION,
    BATCHES;

    /** The path for {@code input}, by the setting's value ({@code auto}, {@code expression} or {@code batches}). */
    static ExecutionPath choose(String setting, Dataset<Row> input, String stage, Backend backend,
                                NormalizationPlan plan, HandleInvalid handleInvalid) {
        String needsBatches = needsBatches(backend, plan, handleInvalid);
        if (needsBatches == null && SparkInternals.readsLocalRows(input)) {
            // Spark would evaluate the expressions on the driver, outside any task: nothing
            // would count the rows. Local rows are few; batches serve them.
            needsBatches = "input rows held by the driver (a local relation)";
        }
        switch (setting) {
            case "batches":
                return BATCHES;
            case "expression":
                if (needsBatches != null) {
                    throw new IllegalArgumentException(stage + ": " + Execution.PATH_SETTING + "=expression, but "
                            + needsBatches + " needs the batched path; set " + Execution.PATH_SETTING
                            + " to auto or batches");
                }
                return EXPRESSION;
            case "auto":
                if (needsBatches != null) {
                    return BATCHES;
                }
                return backend == Backend.AUTO && autoMayUseGpu(input.sparkSession()) ? BATCHES : EXPRESSION;
            default:
                throw new IllegalArgumentException("the Spark setting " + Execution.PATH_SETTING + " is '" + setting
                        + "'; use auto (the default), expression or batches");
        }
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
