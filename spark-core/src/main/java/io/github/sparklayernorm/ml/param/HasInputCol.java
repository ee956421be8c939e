package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The single input column, named as in Spark MLlib. */
public interface HasInputCol extends Params {

    Param<String> inputCol();

    default String getInputCol() {
        return getOrDefault(inputCol());
    }
}
