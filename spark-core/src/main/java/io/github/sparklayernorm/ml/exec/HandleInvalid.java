package io.github.sparklayernorm.ml.exec;

import java.util.Arrays;
import java.util.Locale;

/** Spark MLlib's convention for invalid rows; {@link InvalidRows} applies it. */
public enum HandleInvalid {
    /** Fail the job with a message naming the column, the row and the problem. */
    ERROR,
    /** Drop the row. */
    SKIP,
    /** Keep the row, with a null output for the invalid column. */
    KEEP;

    /** The names the param takes: the constants in lower case. */
    public static final String[] NAMES = Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT))
            .toArray(String[]::new);

    public static HandleInvalid of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
