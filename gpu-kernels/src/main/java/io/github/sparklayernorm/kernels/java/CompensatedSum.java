package io.github.sparklayernorm.kernels.java;

/**
 * Neumaier's compensated sum: the running error of every addition is kept apart and added back at
 * the end, so the total is accurate to a few ulps whatever the number of terms.
 *
 * <p>The engine adds partial sums of short blocks here (not single values), which keeps the
 * accuracy of a fully compensated sum at the cost of a plain one.
 */
final class CompensatedSum {

    private double sum;
    private double compensation;

    void reset() {
        sum = 0.0;
        compensation = 0.0;
    }

    void add(double value) {
        double t = sum + value;
        if (Math.abs(sum) >= Math.abs(value)) {
            compensation += (sum - t) + value;
        } else {
            compensation += (value - t) + sum;
        }
        sum = t;
    }

    double value() {
        return sum + compensation;
    }
}
