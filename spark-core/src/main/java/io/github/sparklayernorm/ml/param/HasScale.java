package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.Params;

/** The learned per-feature scale (gamma); unset means all ones. */
public interface HasScale extends Params {

    DoubleArrayParam scale();

    /** The scale, or {@code null} when none is set (all ones). */
    default double[] getScale() {
        return isDefined(scale()) ? getOrDefault(scale()).clone() : null;
    }
}
