package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The single output column, named as in Spark MLlib. */
public interface HasOutputCol extends Params {

    Param<String> outputCol();

    default String getOutputCol() {
        return getOrDefault(outputCol());
    }
}
