package io.github.sparklayernorm.ml.plan;

import java.io.Serializable;

/** One input column, where it sits in the row, and the output column it feeds. */
public final class ColumnBinding implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String inputName;
    private final int inputIndex;
    private final String outputName;
    private final ColumnType type;

    public ColumnBinding(String inputName, int inputIndex, String outputName, ColumnType type) {
        this.inputName = inputName;
        this.inputIndex = inputIndex;
        this.outputName = outputName;
        this.type = type;
    }

    public String inputName() {
        return inputName;
    }

    public int inputIndex() {
        return inputIndex;
    }

    public String outputName() {
        return outputName;
    }

    public ColumnType type() {
        return type;
    }
}
