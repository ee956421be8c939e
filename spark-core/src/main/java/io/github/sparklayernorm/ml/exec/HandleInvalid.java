package io.github.sparklayernorm.ml.exec;

import java.util.Locale;

/** Spark MLlib's convention for invalid rows; {@link InvalidRows} applies it. */
public enum HandleInvalid {
    /** Fail the job with a message naming the column, the row and the problem. */
    ERROR,
    /** Drop the row. */
    SKIP,
    /** Keep the row, with a null output for the invalid column. */
    KEEP;

    public static final String[] NAMES = {"error", "skip", "keep"};

    public static HandleInvalid of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
