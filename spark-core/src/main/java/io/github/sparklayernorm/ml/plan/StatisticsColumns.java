package io.github.sparklayernorm.ml.plan;

import java.io.Serializable;

/**
 * The optional per-row statistics columns (ONNX's Mean and InvStdDev outputs), appended after the
 * output columns in this order. Either name may be {@code null}: that column is not made.
 */
public final class StatisticsColumns implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String mean;
    private final String invStdDev;

    public StatisticsColumns(String mean, String invStdDev) {
        this.mean = mean;
        this.invStdDev = invStdDev;
    }

    /** The mean column's name, or {@code null}. */
    public String mean() {
        return mean;
    }

    /** The inverse standard deviation column's name, or {@code null}. */
    public String invStdDev() {
        return invStdDev;
    }

    public boolean hasMean() {
        return mean != null;
    }

    public boolean hasInvStdDev() {
        return invStdDev != null;
    }

    /** Whether any statistic is asked for: the engine then returns them. */
    public boolean any() {
        return mean != null || invStdDev != null;
    }

    /** How many columns they add. */
    public int count() {
        return (mean != null ? 1 : 0) + (invStdDev != null ? 1 : 0);
    }
}
