package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.EngineSetting;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes the OpenCL path fail on purpose, to test that failures are detected and handled: set the
 * system property {@value #PROPERTY} to a stage's word (for Spark executors, through
 * {@code spark.executorEnv.SPARKLAYERNORM_OPENCL_FAULT}, see {@link EngineSetting}):
 *
 * <ul>
 *   <li>{@code library}: the OpenCL library does not load;</li>
 *   <li>{@code compile}: the kernel does not compile;</li>
 *   <li>{@code self-check}: the kernel gives a wrong answer on the known row;</li>
 *   <li>{@code transfer-in}, {@code execute}, {@code transfer-out}: that step of a batch fails;</li>
 *   <li>{@code output}: the device writes NaN into every row of a batch;</li>
 *   <li>{@code fallback}: Aparapi runs the kernel on Java threads instead of OpenCL, silently;</li>
 *   <li>{@code crash}: making an engine throws an unexpected exception (no {@link OpenClFailure}), as
 *       Aparapi's own code or the JVM (out of memory) may.</li>
 * </ul>
 *
 * Read at each use, so tests can switch it.
 */
public final class FaultInjection {

    public static final String PROPERTY = "sparklayernorm.opencl.fault";
    /** Aparapi's silent fallback to Java threads, which is no stage of its own: it is caught at execute. */
    static final String FALLBACK = "fallback";

    /** Faults that fired in this JVM, by stage word: so that a test sees its fault was reached. */
    private static final Map<String, AtomicLong> FIRED = new ConcurrentHashMap<>();

    /** Throws the failure an injected fault at {@code stage} would cause. */
    public static void at(OpenClFailure.Stage stage, String where) {
        if (active(stage.word())) {
            FIRED.computeIfAbsent(stage.word(), w -> new AtomicLong()).incrementAndGet();
            throw new OpenClFailure(stage, "injected " + stage.word() + " failure on " + where
                    + " (system property " + PROPERTY + ")");
        }
    }

    /** Making an engine fails with what no stage expects: the pool must still give its slot back. */
    static final String CRASH = "crash";

    /** Throws the unexpected exception of an injected {@value #CRASH} while an engine is made on {@code where}. */
    static void crashAt(String where) {
        if (active(CRASH)) {
            FIRED.computeIfAbsent(CRASH, w -> new AtomicLong()).incrementAndGet();
            throw new IllegalStateException("injected crash while making an OpenCL engine on " + where
                    + " (system property " + PROPERTY + ")");
        }
    }

    /** How often the fault at the stage named {@code word} has fired in this JVM. */
    public static long fired(String word) {
        AtomicLong count = FIRED.get(word);
        return count == null ? 0 : count.get();
    }

    /** Whether the fault named {@code word} is injected now. */
    static boolean active(String word) {
        return EngineSetting.get(PROPERTY, "").equalsIgnoreCase(word);
    }

    /** Whether any fault is injected: failures seen then are not remembered against the device. */
    static boolean any() {
        return !EngineSetting.get(PROPERTY, "").isEmpty();
    }

    private FaultInjection() {
    }
}
