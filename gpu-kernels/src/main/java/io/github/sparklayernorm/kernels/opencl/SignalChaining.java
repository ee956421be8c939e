package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.EngineSetting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Guards the JVM against OpenCL drivers that replace its signal handlers (PoCL/LLVM do, once a
 * kernel has run): Java then stops throwing on an integer division by zero and can crash. The
 * JVM's signal-chaining library, {@code libjsig.so} preloaded with {@code LD_PRELOAD}, keeps
 * Java's handlers working. The OpenCL path is only taken in a JVM that has it, unless the system
 * property {@value #ALLOW_WITHOUT} is {@code true}.
 */
public final class SignalChaining {

    /** System property: run OpenCL even without libjsig (at the JVM's risk). */
    public static final String ALLOW_WITHOUT = "sparklayernorm.opencl.allowWithoutLibjsig";

    private static final Path MAPS = Paths.get("/proc/self/maps");

    private SignalChaining() {
    }

    /**
     * @throws OpenClFailure (LIBRARY) if this JVM runs without libjsig on a system where that can be told
     */
    public static void requirePreloaded() {
        if (EngineSetting.flag(ALLOW_WITHOUT) || !Files.isReadable(MAPS)) {
            return;
        }
        String maps;
        try {
            maps = Files.readString(MAPS);
        } catch (IOException e) {
            return;
        }
        if (!isPreloaded(maps)) {
            String lib = Paths.get(System.getProperty("java.home"), "lib", "libjsig.so").toString();
            throw new OpenClFailure(OpenClFailure.Stage.LIBRARY, "this JVM was started without the JVM's"
                    + " signal-chaining library, and OpenCL drivers would replace its signal handlers;"
                    + " start it with LD_PRELOAD=" + lib + " (for Spark executors: spark.executorEnv.LD_PRELOAD="
                    + lib + "), or set " + ALLOW_WITHOUT + "=true (on executors: spark.executorEnv."
                    + EngineSetting.environmentName(ALLOW_WITHOUT) + "=true) to run OpenCL anyway");
        }
    }

    /** Whether a /proc/self/maps listing shows libjsig loaded. */
    static boolean isPreloaded(String maps) {
        return maps.contains("/libjsig.so");
    }
}
