package io.github.sparklayernorm.kernels.opencl;


/**
 * Makes the OpenCL path fail on purpose, to test that failures are detected and handled: set the
 * system property {@value #PROPERTY} to a stage's word (for Spark executors, through
 * {@code spark.executor.extraJavaOptions}):
 *
 * <ul>
 *   <li>{@code library}: the OpenCL library does not load;</li>
 *   <li>{@code compile}: the kernel does not compile;</li>
 *   <li>{@code self-check}: the kernel gives a wrong answer on the known row;</li>
 *   <li>{@code transfer-in}, {@code execute}, {@code transfer-out}: that step of a batch fails;</li>
 *   <li>{@code output}: the device writes NaN into every row of a batch;</li>
 *   <li>{@code fallback}: Aparapi runs the kernel on Java threads instead of OpenCL, silently.</li>
 * </ul>
 *
 * Read at each use, so tests can switch it.
 */
public final class FaultInjection {

    public static final String PROPERTY = "sparklayernorm.opencl.fault";
    /** Aparapi's silent fallback to Java threads, which is no stage of its own: it is caught at execute. */
    static final String FALLBACK = "fallback";

    /** Throws the failure an injected fault at {@code stage} would cause. */
    public static void at(OpenClFailure.Stage stage, String where) {
        if (active(stage.word())) {
            throw new OpenClFailure(stage, "injected " + stage.word() + " failure on " + where
                    + " (system property " + PROPERTY + ")");
        }
    }

    /** Whether the fault named {@code word} is injected now. */
    static boolean active(String word) {
        return System.getProperty(PROPERTY, "").equalsIgnoreCase(word);
    }

    /** Whether any fault is injected: failures seen then are not remembered against the device. */
    static boolean any() {
        return !System.getProperty(PROPERTY, "").isEmpty();
    }

    private FaultInjection() {
    }
}
