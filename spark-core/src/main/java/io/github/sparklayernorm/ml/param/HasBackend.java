package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** Which engine normalizes: {@code auto} (a GPU when the executor has one, else Java), {@code java} or {@code opencl}. */
public interface HasBackend extends Params {

    Param<String> backend();

    default String getBackend() {
        return getOrDefault(backend());
    }
}
