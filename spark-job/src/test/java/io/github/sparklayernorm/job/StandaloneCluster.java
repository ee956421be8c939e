package io.github.sparklayernorm.job;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A real Spark standalone cluster on 127.0.0.1, from the Maven jars alone: one Master and two
 * Workers (one core each), separate JVMs started here and stopped by their own PIDs (with the
 * executors they launched). Spark's Worker builds the executor command from SPARK_HOME/jars, so
 * SPARK_HOME is a folder whose jars/ links to the Spark jars of the test class path.
 */
final class StandaloneCluster implements AutoCloseable {

    private final Path dir;
    private final Path sparkHome;
    private final List<Process> daemons = new ArrayList<>();
    private final int masterPort;

    StandaloneCluster(Path dir) throws IOException, InterruptedException {
        this(dir, 2, 1, List.of(), Map.of());
    }

    /**
     * @param workerOptions the Workers' JVM options (Spark settings as {@code -Dspark.worker...})
     * @param workerEnv what the Workers' environment adds (their discovery scripts see it)
     */
    StandaloneCluster(Path dir, int workers, int cores, List<String> workerOptions, Map<String, String> workerEnv)
            throws IOException, InterruptedException {
        this.dir = dir;
        this.sparkHome = dir.resolve("spark-home");
        linkSparkJars();
        masterPort = freePort();
        Process master = start("master", List.of(), Map.of(), "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(freePort()));
        waitForLog("master", "I have been elected leader", Duration.ofSeconds(60), master);
        for (int w = 1; w <= workers; w++) {
            Path workDir = Files.createDirectories(dir.resolve("worker-" + w));
            Process worker = start("worker-" + w, workerOptions, workerEnv, "org.apache.spark.deploy.worker.Worker",
                    "--host", "127.0.0.1", "--cores", String.valueOf(cores), "--memory", "1g", "--work-dir",
                    workDir.toString(), "--webui-port", String.valueOf(freePort()), masterUrl());
            waitForLog("worker-" + w, "Successfully registered with master", Duration.ofSeconds(60), worker);
        }
    }

    /** The executors' logs (stdout and stderr of each, under the Workers' folders), as one text. */
    String executorLogs() throws IOException {
        StringBuilder text = new StringBuilder();
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().contains("worker-")
                    && (p.getFileName().toString().equals("stderr") || p.getFileName().toString().equals("stdout")))::iterator) {
                text.append("== ").append(file).append('\n').append(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return text.toString();
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /** Spark's jars (everything on the class path but the project's own and the test tools). */
    private void linkSparkJars() throws IOException {
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Paths.get(entry);
            String name = jar.getFileName().toString();
            boolean ours = entry.contains("sparklayernorm") || name.startsWith("spark-layernorm") || name.startsWith("gpu-kernels")
                    || name.startsWith("aparapi") || name.startsWith("bcel") || name.startsWith("picocli");
            boolean testTool = name.startsWith("junit") || name.startsWith("jqwik") || name.startsWith("opentest4j")
                    || name.startsWith("apiguardian") || name.startsWith("surefire") || name.startsWith("failsafe");
            if (name.endsWith(".jar") && Files.isRegularFile(jar) && !ours && !testTool) {
                Path link = jars.resolve(name);
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, jar.toAbsolutePath());
                }
            }
        }
    }

    Map<String, String> environment() {
        return Map.of(
                "SPARK_HOME", sparkHome.toString(),
                "SPARK_SCALA_VERSION", System.getProperty("scala.binary.version", "2.13"),
                "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_LOG_DIR", dir.resolve("logs").toString());
    }

    List<String> javaCommand(List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(System.getProperty("spark.jvm.flags", "").trim().split("\\s+")));
        command.add("-Xmx768m");
        command.addAll(options);
        command.add("-cp");
        command.add(sparkHome.resolve("jars") + File.separator + "*");
        command.add(mainClass);
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** Starts a JVM of the cluster's class path; its output goes to {@code dir/NAME.log}. */
    Process start(String name, String mainClass, String... args) throws IOException {
        return start(name, List.of(), Map.of(), mainClass, args);
    }

    private Process start(String name, List<String> options, Map<String, String> env, String mainClass, String... args)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(javaCommand(options, mainClass, args));
        builder.environment().putAll(environment());
        builder.environment().putAll(env);
        builder.redirectErrorStream(true);
        builder.redirectOutput(log(name).toFile());
        Process process = builder.start();
        daemons.add(process);
        return process;
    }

    Path log(String name) {
        return dir.resolve(name + ".log");
    }

    String logText(String name) {
        try {
            return Files.exists(log(name)) ? Files.readString(log(name), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private void waitForLog(String name, String text, Duration timeout, Process process)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (logText(name).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(200);
        }
        throw new IOException(name + " did not say '" + text + "' in " + timeout.getSeconds() + " s:\n" + logText(name));
    }

    /** The executor JVMs the Workers launched, alive now. */
    List<ProcessHandle> executors() {
        return daemons.stream()
                .flatMap(p -> p.toHandle().descendants())
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false))
                .collect(Collectors.toList());
    }

    Optional<ProcessHandle> anyExecutor() {
        return executors().stream().findFirst();
    }

    /** Stops every process started here, and their descendants, by PID. */
    @Override
    public void close() {
        for (Process daemon : daemons) {
            daemon.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
        }
        for (Process daemon : daemons) {
            try {
                daemon.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
