package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.Params;

/** The learned per-feature shift (beta); unset means all zeros. */
public interface HasShift extends Params {

    DoubleArrayParam shift();

    /** The shift, or {@code null} when none is set (all zeros). */
    default double[] getShift() {
        return isDefined(shift()) ? getOrDefault(shift()).clone() : null;
    }
}
