package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/** Several input columns processed in one pass, named as in Spark MLlib. */
public interface HasInputCols extends Params {

    StringArrayParam inputCols();

    default String[] getInputCols() {
        return getOrDefault(inputCols());
    }
}
