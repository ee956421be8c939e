package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Params;

/** The epsilon added to the variance under the square root. */
public interface HasEpsilon extends Params {

    DoubleParam epsilon();

    default double getEpsilon() {
        return (Double) getOrDefault(epsilon());
    }
}
