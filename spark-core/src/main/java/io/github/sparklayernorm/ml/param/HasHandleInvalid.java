package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** What to do with invalid rows: {@code error}, {@code skip} or {@code keep}, as in Spark MLlib. */
public interface HasHandleInvalid extends Params {

    Param<String> handleInvalid();

    default String getHandleInvalid() {
        return getOrDefault(handleInvalid());
    }
}
