package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer's first run: the README's first command, as the README gives it (its paths moved
 * into a folder of the test's own), through {@code bin/layernorm-job} and Spark's
 * {@code SparkSubmit}. What it prints is what a new user reads: no log line that looks like trouble,
 * progress in the job's words, a summary in one column, and the summary the README shows.
 */
class FirstRunIT {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern LOG_LINE = Pattern.compile("(^|\\s)(WARN|ERROR|WARNING:|SEVERE:)\\s");

    @TempDir
    static Path dir;

    private static int exitCode;
    private static List<String> stdout;
    private static List<String> stderr;

    /** The README's first command: the line that starts with bin/layernorm-job and its continuations. */
    static String readmeCommand() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        StringBuilder command = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("bin/layernorm-job --generate-sample")) {
                for (int j = i; j < lines.size(); j++) {
                    String line = lines.get(j).trim();
                    boolean continued = line.endsWith("\\");
                    command.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
                    if (!continued) {
                        return command.toString().trim();
                    }
                }
            }
        }
        throw new AssertionError("the README has no 'bin/layernorm-job --generate-sample' command");
    }

    /** The summary block the README shows after its first command. */
    static List<String> readmeSummary() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        int start = lines.indexOf("LayerNormJob summary");
        assertTrue(start > 0, "the README shows the job's summary");
        List<String> summary = new ArrayList<>();
        for (int i = start + 1; i < lines.size() && lines.get(i).startsWith("  "); i++) {
            summary.add(lines.get(i));
        }
        return summary;
    }

    @BeforeAll
    static void runTheReadmesFirstCommand() throws Exception {
        String command = readmeCommand().replace("target/", dir.toAbsolutePath() + "/");
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(ROOT.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile());
        // The build that runs this test has written the launcher's files; a run must not start Maven.
        builder.environment().put("SPARK_LAYERNORM_NO_BUILD", "1");
        Process process = builder.start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the first run did not finish in 5 minutes");
        exitCode = process.exitValue();
        stdout = Files.readAllLines(dir.resolve("stdout.txt"), StandardCharsets.UTF_8);
        stderr = Files.readAllLines(dir.resolve("stderr.txt"), StandardCharsets.UTF_8);
    }

    private static String printed() {
        return "stdout:\n" + String.join("\n", stdout) + "\nstderr:\n" + String.join("\n", stderr);
    }

    @Test
    void succeeds() {
        assertEquals(0, exitCode, printed());
    }

    @Test
    void printsNoLineThatLooksLikeTrouble() {
        List<String> noisy = new ArrayList<>();
        for (List<String> stream : List.of(stdout, stderr)) {
            stream.stream().filter(l -> LOG_LINE.matcher(l).find()).forEach(noisy::add);
        }
        // Java's own notice that Spark uses an incubator module is the JVM's, on every Spark 4 run.
        noisy.removeIf(l -> l.equals("WARNING: Using incubator modules: jdk.incubator.vector"));
        assertEquals(List.of(), noisy, printed());
    }

    @Test
    void progressNamesTheJobsSteps() {
        assertTrue(stdout.stream().anyMatch(l -> l.matches("LayerNormJob: wrote a sample of 10000 rows x 16 values to .*")),
                printed());
        assertTrue(stderr.stream().anyMatch(l -> l.matches(
                "LayerNormJob normalizing and writing: stage \\d+ done, \\d+ tasks? in [0-9.]+ s")), printed());
        assertTrue(stderr.stream().anyMatch(l -> l.matches(
                "LayerNormJob counting the rows written: stage \\d+ done, \\d+ tasks? in [0-9.]+ s")), printed());
        assertTrue(stderr.stream().noneMatch(l -> l.contains(" at ") && l.contains(".java:")),
                "no stage named by a call site: " + printed());
    }

    /** The summary's lines, label and value. */
    private static List<String[]> summary(List<String> lines) {
        List<String[]> summary = new ArrayList<>();
        Pattern entry = Pattern.compile("  (.+?):( +)(\\S.*)");
        for (String line : lines) {
            Matcher m = entry.matcher(line);
            assertTrue(m.matches(), "a summary line is '  label: value': '" + line + "'");
            summary.add(new String[] {m.group(1), m.group(3), Integer.toString(line.length() - m.group(3).length())});
        }
        return summary;
    }

    private static List<String> summaryLines() {
        int start = stdout.indexOf("LayerNormJob summary");
        assertTrue(start >= 0, printed());
        return stdout.subList(start + 1, stdout.size()).stream().filter(l -> l.startsWith("  "))
                .collect(Collectors.toList());
    }

    @Test
    void theSummarysFiguresShareOneColumnAndSayWhatTheyCover() {
        List<String[]> summary = summary(summaryLines());
        List<String> labels = summary.stream().map(e -> e[0]).collect(Collectors.toList());
        assertEquals(List.of("rows read", "rows written", "rows skipped", "rows on java", "normalize and write",
                "total with start-up", "output"), labels, printed());
        assertEquals(1, summary.stream().map(e -> e[2]).distinct().count(), "one column: " + printed());
        assertEquals("10000", summary.get(0)[1]);
        assertEquals("10000", summary.get(1)[1]);
        assertEquals("10000", summary.get(3)[1]);
        double normalize = Double.parseDouble(summary.get(4)[1].replace(" s", ""));
        double total = Double.parseDouble(summary.get(5)[1].replace(" s", ""));
        assertTrue(normalize > 0 && normalize <= total, printed());
    }

    @Test
    void theReadmeShowsTheSummaryAsItIs() throws IOException {
        List<String[]> shown = summary(readmeSummary());
        List<String[]> actual = summary(summaryLines());
        assertEquals(actual.stream().map(e -> e[0]).collect(Collectors.toList()),
                shown.stream().map(e -> e[0]).collect(Collectors.toList()), "the README's summary has the run's lines");
        assertEquals(actual.get(0)[2], shown.get(0)[2], "the README's summary has the run's column");
        for (int i = 0; i < 4; i++) {
            assertEquals(actual.get(i)[1], shown.get(i)[1], "the README's " + actual.get(i)[0]);
        }
    }
}
