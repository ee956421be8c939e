package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.kernels.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacing an output never loses the old one: not when a move fails (a file system that refuses
 * renames), and not when the process is killed between the moves (a real child JVM halted there).
 */
class OutputCommitTest {

    @TempDir
    java.nio.file.Path dir;

    private java.nio.file.Path target;
    private java.nio.file.Path staging;

    /** A local file system whose renames fail for the paths named in {@code failing}. */
    static class FaultyFileSystem extends RawLocalFileSystem {
        List<String> failing = List.of();
        boolean throwInstead;

        FaultyFileSystem() throws IOException {
            initialize(URI.create("file:///"), new Configuration());
        }

        @Override
        public boolean rename(Path src, Path dst) throws IOException {
            if (failing.contains(new Path(src.toUri().getPath()).getName())) {
                if (throwInstead) {
                    throw new IOException("injected rename failure of " + src);
                }
                return false;
            }
            return super.rename(src, dst);
        }
    }

    @BeforeEach
    void outputs() throws IOException {
        target = dir.resolve("out.parquet");
        staging = dir.resolve(".out.parquet.staging-1");
        Files.createDirectories(target);
        Files.writeString(target.resolve("part-0"), "old");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("part-0"), "new");
    }

    private static Path hadoop(java.nio.file.Path path) {
        return new Path(path.toString());
    }

    private List<String> folder() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void overwriteMovesTheNewOutputInAndDeletesTheOldOneAfter() throws Exception {
        OutputCommit.replace(new FaultyFileSystem(), hadoop(staging), hadoop(target), true);
        assertEquals("new", Files.readString(target.resolve("part-0")));
        assertEquals(List.of("out.parquet"), folder());
    }

    @Test
    void whenTheNewOutputCannotBeMovedInTheOldOneIsPutBack() throws Exception {
        for (boolean throwing : new boolean[] {false, true}) {
            FaultyFileSystem fs = new FaultyFileSystem();
            fs.failing = List.of(staging.getFileName().toString());
            fs.throwInstead = throwing;
            IOException e = assertThrows(IOException.class,
                    () -> OutputCommit.replace(fs, hadoop(staging), hadoop(target), true));
            assertEquals("old", Files.readString(target.resolve("part-0")), "the old output is back in place");
            assertEquals("new", Files.readString(staging.resolve("part-0")), "the new output is kept");
            assertTrue(e.getMessage().contains("the old output is back in place at") && e.getMessage().contains(
                    "the new one is at"), e.getMessage());
            assertEquals(List.of(".out.parquet.staging-1", "out.parquet"), folder());
        }
    }

    @Test
    void whenTheOldOutputCannotBePutBackEitherTheErrorSaysWhereItIs() throws Exception {
        // The aside name is made by the commit: fail every rename out of ".out.parquet.previous-*" and of staging.
        FaultyFileSystem both = new FaultyFileSystem() {
            @Override
            public boolean rename(Path src, Path dst) throws IOException {
                String name = new Path(src.toUri().getPath()).getName();
                if (name.startsWith(".out.parquet.previous-") || name.equals(staging.getFileName().toString())) {
                    return false;
                }
                return super.rename(src, dst);
            }
        };
        IOException e = assertThrows(IOException.class,
                () -> OutputCommit.replace(both, hadoop(staging), hadoop(target), true));
        String aside = folder().stream().filter(n -> n.startsWith(".out.parquet.previous-")).findFirst().orElseThrow();
        assertEquals("old", Files.readString(dir.resolve(aside).resolve("part-0")));
        assertTrue(e.getMessage().contains("the old output is at") && e.getMessage().contains(aside)
                && e.getMessage().contains("move it back"), e.getMessage());
    }

    @Test
    void withoutOverwriteAnOutputThatAppearedIsLeftAlone() throws Exception {
        JobFailure e = assertThrows(JobFailure.class,
                () -> OutputCommit.replace(new FaultyFileSystem(), hadoop(staging), hadoop(target), false));
        assertTrue(e.getMessage().contains("left alone"), e.getMessage());
        assertEquals("old", Files.readString(target.resolve("part-0")));
    }

    /**
     * The process killed (halted, as by kill -9: no finally blocks, no shutdown hooks) right after
     * the old output was moved aside: it is whole there, and the next run puts it back.
     */
    @Test
    void killedBetweenTheMovesTheOldOutputIsRecoverable() throws Exception {
        assertEquals(137, runAndHaltAt("after-aside"));
        assertFalse(Files.exists(target), "the process died before the new output was moved in");
        String aside = folder().stream().filter(n -> n.startsWith(".out.parquet.previous-")).findFirst().orElseThrow();
        assertEquals("old", Files.readString(dir.resolve(aside).resolve("part-0")));

        String said = String.join("\n", OutputCommit.recover(new FaultyFileSystem(), hadoop(target)));
        assertTrue(said.contains("the previous output is back in place"), said);
        assertEquals("old", Files.readString(target.resolve("part-0")));
        assertEquals(List.of("out.parquet"), folder());
    }

    /** Killed after the new output was moved in, before the old one was deleted: the next run deletes it. */
    @Test
    void killedBeforeTheOldOutputWasDeletedTheNextRunDeletesIt() throws Exception {
        assertEquals(137, runAndHaltAt("after-move-in"));
        assertEquals("new", Files.readString(target.resolve("part-0")));
        assertTrue(folder().stream().anyMatch(n -> n.startsWith(".out.parquet.previous-")));

        String said = String.join("\n", OutputCommit.recover(new FaultyFileSystem(), hadoop(target)));
        assertTrue(said.contains("its new output is in place"), said);
        assertEquals(List.of("out.parquet"), folder());
        assertEquals(List.of(), OutputCommit.recover(new FaultyFileSystem(), hadoop(target)), "nothing left to do");
    }

    /**
     * On a file system whose folder rename is a copy then a delete, killed at every step of the
     * commit in turn, then at every step of the next run's recovery: at each kill one whole copy of
     * the old or the new output is on disk, and once a recovery finishes the output is the old or
     * the new one, byte for byte, with nothing left beside it.
     */
    @Test
    void killedAtAnyStepOfACopyingRenameOneWholeOutputRemains() throws Exception {
        Map<String, String> oldFiles = Map.of("part-0", "old rows 0", "part-1", "old rows one", "_SUCCESS", "",
                "sub/part-2", "old nested");
        Map<String, String> newFiles = Map.of("part-0", "new rows zero", "part-3", "new 3", "_SUCCESS", "");
        CopyRenameFileSystem fs = new CopyRenameFileSystem();
        fs.initialize(URI.create("copyrename:///"), new Configuration());
        int commitKills = 0;
        for (int commitKill = 1; ; commitKill++) {
            for (int recoveryKill = 1; ; recoveryKill++) {
                clear();
                write(target, oldFiles);
                write(staging, newFiles);
                CopyRenameFileSystem.reset("out.parquet", commitKill);
                boolean killed = false;
                try {
                    OutputCommit.replace(fs, hadoop(staging), hadoop(target), true);
                } catch (CopyRenameFileSystem.Killed e) {
                    killed = true;
                }
                if (!killed) {
                    assertEquals(newFiles, read(target), "no kill: the new output is in place");
                    assertEquals(List.of("out.parquet"), folder());
                    assertTrue(commitKills > 5, "the commit has steps to be killed at: " + commitKills);
                    return;
                }
                String where = "killed at step " + commitKill + " of the commit";
                assertTrue(oneWholeCopy(oldFiles, newFiles), where + ": no whole copy in " + everything());
                CopyRenameFileSystem.reset("out.parquet", recoveryKill);
                boolean recoveryKilled = false;
                try {
                    OutputCommit.recover(fs, hadoop(target));
                } catch (CopyRenameFileSystem.Killed e) {
                    recoveryKilled = true;
                    assertTrue(oneWholeCopy(oldFiles, newFiles), where + " and at step " + recoveryKill
                            + " of the recovery: no whole copy in " + everything());
                    CopyRenameFileSystem.reset("", 0);
                    OutputCommit.recover(fs, hadoop(target));
                }
                Map<String, String> got = read(target);
                assertTrue(got.equals(oldFiles) || got.equals(newFiles), where + ": the output is " + got);
                assertEquals(List.of("out.parquet"), folder(), where);
                if (!recoveryKilled) {
                    break;
                }
            }
            commitKills++;
        }
    }

    private void clear() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
        }
    }

    private static void write(java.nio.file.Path folder, Map<String, String> files) throws IOException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            java.nio.file.Path path = folder.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
        }
    }

    /** A folder's files and their text (no checksum files); empty when it is not there. */
    private static Map<String, String> read(java.nio.file.Path folder) throws IOException {
        Map<String, String> files = new java.util.TreeMap<>();
        if (!Files.isDirectory(folder)) {
            return files;
        }
        try (Stream<java.nio.file.Path> all = Files.walk(folder)) {
            for (java.nio.file.Path p : all.filter(Files::isRegularFile).collect(Collectors.toList())) {
                files.put(folder.relativize(p).toString(), Files.readString(p));
            }
        }
        return files;
    }

    private boolean oneWholeCopy(Map<String, String> oldFiles, Map<String, String> newFiles) throws IOException {
        try (Stream<java.nio.file.Path> entries = Files.list(dir)) {
            for (java.nio.file.Path entry : entries.collect(Collectors.toList())) {
                Map<String, String> files = read(entry);
                if (files.equals(oldFiles) && !entry.getFileName().toString().contains(".staging-")
                        || files.equals(newFiles) && !entry.getFileName().toString().contains(".previous-")) {
                    return true;
                }
            }
        }
        return false;
    }

    private Map<String, Map<String, String>> everything() throws IOException {
        Map<String, Map<String, String>> all = new java.util.TreeMap<>();
        for (String name : folder()) {
            all.put(name, read(dir.resolve(name)));
        }
        return all;
    }

    /** An output named with glob characters: its recovery touches only its own leftovers. */
    @Test
    void recoveryOfAnOutputWithGlobCharactersLeavesAnothersLeftoversAlone() throws Exception {
        java.nio.file.Path other = dir.resolve(".out1.previous-7");
        Files.createDirectories(other);
        Files.writeString(other.resolve("part-0"), "another output's saved copy");
        java.nio.file.Path bracketed = dir.resolve("out[1]");
        assertEquals(List.of(), OutputCommit.recover(new FaultyFileSystem(), hadoop(bracketed)));
        assertEquals("another output's saved copy", Files.readString(other.resolve("part-0")));
        assertFalse(Files.exists(bracketed), "out[1] was not made from out1's copy");
    }

    private int runAndHaltAt(String step) throws Exception {
        ChildJvm.Result run = ChildJvm.run(List.of(), Map.of(), false, 60, HaltingCommit.class.getName(),
                staging.toString(), target.toString(), step);
        assertFalse(run.output.contains("Exception"), run.output);
        return run.exitCode;
    }

    /** Run in a child JVM: replaces the output on a file system that halts the JVM at one step. */
    public static final class HaltingCommit {
        public static void main(String[] args) throws Exception {
            String step = args[2];
            FileSystem fs = new RawLocalFileSystem() {
                @Override
                public boolean rename(Path src, Path dst) throws IOException {
                    boolean movingIn = new Path(src.toUri().getPath()).getName().contains(".staging-");
                    if (movingIn && step.equals("after-aside")) {
                        Runtime.getRuntime().halt(137);
                    }
                    boolean done = super.rename(src, dst);
                    if (movingIn && step.equals("after-move-in")) {
                        Runtime.getRuntime().halt(137);
                    }
                    return done;
                }
            };
            fs.initialize(URI.create("file:///"), new Configuration());
            OutputCommit.replace(fs, new Path(args[0]),
                    new Path(args[1]), true);
        }
    }
}
