package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * An optional output column with each row's {@code 1 / sqrt(var + epsilon)} (for RMS
 * normalization, the inverse RMS {@code 1 / sqrt(mean(x^2) + epsilon)}): ONNX's InvStdDev. A
 * double per row, or an array with one value per group when {@code groupSize} is set.
 */
public interface HasInvStdDevCol extends Params {

    Param<String> invStdDevCol();

    /** The column name, or {@code null} when unset. */
    default String getInvStdDevCol() {
        return isDefined(invStdDevCol()) ? getOrDefault(invStdDevCol()) : null;
    }
}
