package io.github.sparklayernorm.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A main class run in a JVM of its own, for tests that need a fresh process (no OpenCL, a killed
 * process, other flags). Its output goes to a file, so that the wait is what times out: reading a
 * pipe to its end would wait for the process however long it takes.
 */
public final class ChildJvm {

    /** What the child printed (stdout and stderr together, unless stderr was kept apart) and its exit code. */
    public static final class Result {
        public final int exitCode;
        public final String output;
        public final String errors;

        Result(int exitCode, String output, String errors) {
            this.exitCode = exitCode;
            this.output = output;
            this.errors = errors;
        }
    }

    /**
     * Runs {@code mainClass} with this JVM's class path.
     *
     * @param jvmOptions  options before the class name
     * @param environment variables to set; a null value removes the variable
     * @param separateErrors whether stderr is kept apart from stdout
     */
    public static Result run(List<String> jvmOptions, Map<String, String> environment, boolean separateErrors,
                             long timeoutSeconds, String mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        Path out = Files.createTempFile("child-jvm", ".out");
        Path err = Files.createTempFile("child-jvm", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile());
            if (separateErrors) {
                builder.redirectError(err.toFile());
            } else {
                builder.redirectErrorStream(true);
            }
            environment.forEach((name, value) -> {
                if (value == null) {
                    builder.environment().remove(name);
                } else {
                    builder.environment().put(name, value);
                }
            });
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(mainClass + " did not finish in " + timeoutSeconds + " s: " + Files.readString(out));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private ChildJvm() {
    }
}
