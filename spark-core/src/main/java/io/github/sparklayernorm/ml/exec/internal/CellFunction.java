package io.github.sparklayernorm.ml.exec.internal;

import java.io.Serializable;
import org.apache.spark.sql.types.DataType;

/**
 * What the stage's Catalyst expressions call per row ({@code ml.exec.CellNormalizer} implements it):
 * the expressions know Catalyst, this knows the stage, and the arrow points from the stage to here.
 */
public interface CellFunction extends Serializable {

    /** The normalized cell (a Catalyst value of its own), or {@code null} for an invalid cell kept. */
    Object normalize(Object cell);

    /** Whether the cell can be normalized (the filter of {@code handleInvalid = skip}). */
    boolean isValid(Object cell);

    /** The output column's type. */
    DataType outputType();

    /** Whether an output can be null ({@code handleInvalid = keep}). */
    boolean nullableOutput();
}
