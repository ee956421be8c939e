package io.github.sparklayernorm.ml.exec;

/**
 * Why a cell is invalid, as the metrics count it. The message that names the row says more.
 */
public enum InvalidReason {
    /** The cell is null, or holds a null element. */
    NULL("null"),
    /** Empty, not a multiple of groupSize, or not the length of scale/shift. */
    LENGTH("length"),
    /** NaN or an infinity. */
    NON_FINITE("non-finite"),
    /** A sparse vector whose indices are out of order, out of range, or not one per value. */
    MALFORMED("malformed");

    public static final String SKIPPED = "skipped: ";
    public static final String KEPT = "kept: ";

    private final String skippedCounter;
    private final String keptCounter;

    InvalidReason(String label) {
        this.skippedCounter = SKIPPED + label;
        this.keptCounter = KEPT + label;
    }

    String skippedCounter() {
        return skippedCounter;
    }

    String keptCounter() {
        return keptCounter;
    }
}
