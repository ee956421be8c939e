package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/** One output column per input column, named as in Spark MLlib. */
public interface HasOutputCols extends Params {

    StringArrayParam outputCols();

    default String[] getOutputCols() {
        return getOrDefault(outputCols());
    }
}
