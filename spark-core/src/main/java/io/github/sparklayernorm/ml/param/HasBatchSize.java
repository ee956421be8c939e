package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Params;

/** Rows per batch handed to the engine (and to the device, for OpenCL). */
public interface HasBatchSize extends Params {

    IntParam batchSize();

    default int getBatchSize() {
        return (Integer) getOrDefault(batchSize());
    }
}
