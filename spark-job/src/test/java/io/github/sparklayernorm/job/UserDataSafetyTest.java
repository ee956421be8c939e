package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job never deletes, replaces or reads back what the user did not ask it to: paths that
 * overlap are refused before anything is written (the input's files checked byte for byte after),
 * one run writes an output at a time, and what dead runs left is settled by the next one.
 */
class UserDataSafetyTest {

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    private static SparkSession spark;
    private static Path sample;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        sample = shared.resolve("sample.parquet");
        IncrementalJobTest.Run made = IncrementalJobTest.job("--generate-sample", "200x8", "--input", sample.toString(),
                "--output", shared.resolve("first").toString(), "--input-col", "features");
        assertEquals(0, made.code(), made.err());
    }

    private static IncrementalJobTest.Run job(String... args) {
        return IncrementalJobTest.job(args);
    }

    /** Every file under {@code folder}, by relative path, with its bytes. */
    private static Map<String, List<Byte>> tree(Path folder) throws IOException {
        Map<String, List<Byte>> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.filter(Files::isRegularFile).collect(Collectors.toList())) {
                byte[] bytes = Files.readAllBytes(p);
                List<Byte> list = new ArrayList<>(bytes.length);
                for (byte b : bytes) {
                    list.add(b);
                }
                files.put(folder.relativize(p).toString(), list);
            }
        }
        return files;
    }

    /** The sample copied to {@code to}: an input of the user's, with a file of theirs beside it. */
    private static void userData(Path to) throws IOException {
        try (Stream<Path> all = Files.walk(sample)) {
            for (Path p : all.collect(Collectors.toList())) {
                Path target = to.resolve(sample.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private void assertRefusedAndUntouched(Path watched, String why, String... args) throws IOException {
        Map<String, List<Byte>> before = tree(watched);
        IncrementalJobTest.Run run = job(args);
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().contains(why), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
        assertEquals(before, tree(watched), "every file of " + watched + ", byte for byte");
    }

    @Test
    void anOutputThatHoldsTheInputIsRefusedAndTheInputIsUntouched() throws IOException {
        Path raw = dir.resolve("t/raw");
        userData(raw);
        Files.writeString(dir.resolve("t/notes.txt"), "the user's own file");
        assertRefusedAndUntouched(dir, "contains the input", "--input", raw.toString(), "--output",
                dir.resolve("t").toString(), "--input-col", "features", "--mode", "overwrite");
    }

    @Test
    void anOutputThatIsTheInputOrLiesInsideItIsRefused() throws IOException {
        Path raw = dir.resolve("raw");
        userData(raw);
        assertRefusedAndUntouched(dir, "contains the input", "--input", raw.toString(), "--output", raw.toString(),
                "--input-col", "features", "--mode", "overwrite");
        assertRefusedAndUntouched(dir, "lies inside", "--input", raw.toString(), "--output",
                raw.resolve("normalized").toString(), "--input-col", "features", "--mode", "overwrite");
    }

    @Test
    void anOutputTheInputsGlobMatchesOrThatHoldsAMatchIsRefused() throws IOException {
        Path landing = dir.resolve("landing");
        userData(landing.resolve("a.parquet"));
        String glob = landing + "/*.parquet";
        assertRefusedAndUntouched(dir, "matches its pattern", "--input", glob, "--output",
                landing.resolve("out.parquet").toString(), "--input-col", "features");
        assertRefusedAndUntouched(dir, "contains the input", "--input", glob, "--output", landing.toString(),
                "--input-col", "features", "--mode", "overwrite");
        // Beside the glob's matches but not matched by it: allowed.
        IncrementalJobTest.Run run = job("--input", glob, "--output", landing.resolve("out.orc").toString(),
                "--input-col", "features");
        assertEquals(0, run.code(), run.err());
    }

    @Test
    void anOutputReachedThroughALinkIsComparedWhereItLeads() throws IOException {
        Path raw = dir.resolve("data/raw");
        userData(raw);
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("data"));
        assertRefusedAndUntouched(dir.resolve("data"), "contains the input", "--input", raw.toString(), "--output",
                link.toString(), "--input-col", "features", "--mode", "overwrite");
    }

    @Test
    void aCheckpointInsideTheInputOrTheOutputIsRefused() throws IOException {
        Path landing = dir.resolve("landing");
        userData(landing.resolve("a.parquet"));
        assertRefusedAndUntouched(dir, "--checkpoint", "--incremental", "--checkpoint",
                landing.resolve("state").toString(), "--input", landing.toString(), "--output",
                dir.resolve("out").toString(), "--input-col", "features");
        assertRefusedAndUntouched(dir, "overlap", "--incremental", "--checkpoint", dir.resolve("out/state").toString(),
                "--input", landing.toString(), "--output", dir.resolve("out").toString(), "--input-col", "features");
    }

    @Test
    void aSecondRunOnTheSameOutputIsRefusedOrWaits() throws Exception {
        Path output = dir.resolve("out");
        FileSystem fs = FileSystem.getLocal(spark.sparkContext().hadoopConfiguration());
        String[] args = {"--input", sample.toString(), "--output", output.toString(), "--input-col", "features"};
        try (OutputLock held = OutputLock.acquire(fs, new org.apache.hadoop.fs.Path(output.toString()), false,
                new java.io.PrintWriter(java.io.Writer.nullWriter()))) {
            IncrementalJobTest.Run refused = job(args);
            assertEquals(1, refused.code());
            assertTrue(refused.err().contains("is being written by another run (host ")
                    && refused.err().contains("process " + ProcessHandle.current().pid())
                    && refused.err().contains("--wait-for-lock"), refused.err());
            assertFalse(Files.exists(output), "the refused run wrote nothing");

            CompletableFuture<IncrementalJobTest.Run> waiting = CompletableFuture.supplyAsync(() -> job(
                    concat(args, "--wait-for-lock")));
            Thread.sleep(1500);
            assertFalse(waiting.isDone(), "the second run waits while the lock is held");
            held.close();
            IncrementalJobTest.Run after = waiting.get(120, TimeUnit.SECONDS);
            assertEquals(0, after.code(), after.err());
            assertTrue(after.err().contains("waiting for the run that is writing"), after.err());
        }
        assertFalse(Files.exists(OutputLockPath.of(output)), "the lock is released at the end");
    }

    @Test
    void aLockWhoseProcessIsGoneIsTakenOverWithALine() throws Exception {
        Path output = dir.resolve("out");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(OutputLockPath.of(output), "token=dead\nhost=" + OutputLock.Holder.hostName() + "\npid="
                + gone.pid() + "\nprocess-start=2026-01-01T00\\:00\\:00Z\nsince=2026-01-01T00\\:00\\:00Z\n");
        IncrementalJobTest.Run run = job("--input", sample.toString(), "--output", output.toString(), "--input-col",
                "features");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("took over the lock") && run.err().contains("process " + gone.pid()
                + " no longer runs on this host"), run.err());
    }

    @Test
    void leftoverStagingFoldersOfDeadRunsAreRemovedWithALine() throws Exception {
        Path output = dir.resolve("out");
        Path leftover = dir.resolve(".out.staging-12345");
        userData(leftover);
        IncrementalJobTest.Run run = job("--input", sample.toString(), "--output", output.toString(), "--input-col",
                "features");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("removed file:" + leftover + ", left by an earlier run"),
                run.err());
        assertFalse(Files.exists(leftover));
        try (Stream<Path> beside = Files.list(dir)) {
            assertEquals(List.of("out"), beside.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        }
    }

    @Test
    void anOutputWhoseFolderHasGlobCharactersIsCountedAndWritten() {
        Path output = dir.resolve("runs[1]/out{a,b}");
        IncrementalJobTest.Run run = job("--input", sample.toString(), "--output", output.toString(), "--input-col",
                "features");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("rows written:        200"), run.out());
    }

    /**
     * Killed in the middle of moving the old output aside on a file system whose folder rename
     * is a copy then a delete: the next run puts the whole old output back, and its rows are the
     * first run's.
     */
    @Test
    void killedWhileReplacingOnACopyingStoreTheNextRunPutsAWholeOutputBack() throws Exception {
        spark.sparkContext().hadoopConfiguration().set("fs.copyrename.impl", CopyRenameFileSystem.class.getName());
        spark.sparkContext().hadoopConfiguration().setBoolean("fs.copyrename.impl.disable.cache", true);
        String output = "copyrename://" + dir.resolve("out");
        assertEquals(0, job("--input", sample.toString(), "--output", output, "--input-col", "features",
                "--output-col", "ln").code());
        List<Object> first = rows(dir.resolve("out"));
        // Step 1 renames the journal into place; the next ones copy the old output's files aside.
        CopyRenameFileSystem.reset("out", 3);
        try {
            Throwable thrown = null;
            try {
                job("--input", sample.toString(), "--output", output, "--input-col", "features", "--output-col",
                        "ln", "--scale", "2,2,2,2,2,2,2,2", "--mode", "overwrite");
            } catch (Throwable t) {
                thrown = t;
            }
            assertTrue(isKill(thrown), "the run was killed mid-move: " + thrown);
        } finally {
            CopyRenameFileSystem.reset("", 0);
        }
        IncrementalJobTest.Run next = job("--input", sample.toString(), "--output", output, "--input-col", "features",
                "--output-col", "ln");
        assertEquals(1, next.code(), "the output exists: " + next.err());
        assertTrue(next.err().contains("the previous output is back in place"), next.err());
        assertEquals(first, rows(dir.resolve("out")), "the first run's rows, whole");
    }

    private static boolean isKill(Throwable t) {
        for (Throwable e = t; e != null; e = e.getCause()) {
            if (e instanceof CopyRenameFileSystem.Killed) {
                return true;
            }
        }
        return false;
    }

    private static List<Object> rows(Path folder) {
        return spark.read().parquet(folder.toString()).orderBy("id").select("id", "ln").collectAsList().stream()
                .map(r -> Arrays.asList(r.get(0), r.get(1).toString())).collect(Collectors.toList());
    }

    private static String[] concat(String[] args, String... more) {
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    /** The lock file of a local output, as the job names it. */
    private static final class OutputLockPath {
        static Path of(Path output) {
            return Path.of(OutputLock.of(new org.apache.hadoop.fs.Path(output.toString())).toString());
        }
    }
}
