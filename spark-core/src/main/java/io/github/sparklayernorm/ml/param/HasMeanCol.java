package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * An optional output column with each row's mean: ONNX's Mean. A double per row, or an array with
 * one value per group when {@code groupSize} is set.
 */
public interface HasMeanCol extends Params {

    Param<String> meanCol();

    /** The column name, or {@code null} when unset. */
    default String getMeanCol() {
        return isDefined(meanCol()) ? getOrDefault(meanCol()) : null;
    }
}
