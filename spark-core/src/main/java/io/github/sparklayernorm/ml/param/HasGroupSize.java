package io.github.sparklayernorm.ml.param;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Params;

/**
 * Normalize each consecutive block of {@code groupSize} values of a row on its own (PyTorch's
 * {@code normalized_shape} over the last dimension of a flattened {@code [tokens x hidden]} row).
 * Unset: the whole row is one group.
 */
public interface HasGroupSize extends Params {

    IntParam groupSize();

    /** The group size, or 0 when unset (the whole row). */
    default int getGroupSize() {
        return isDefined(groupSize()) ? (Integer) getOrDefault(groupSize()) : 0;
    }
}
