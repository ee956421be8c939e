package io.github.sparklayernorm.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Puts a finished output in place without ever deleting the last complete copy of the old or the
 * new output, also where a folder rename is a copy then a delete (object stores) and the process
 * can die in the middle of one. The job writes to a staging folder beside the output; then:
 *
 * <ol>
 *   <li>a journal, {@code .NAME.commit} beside the output, records where the new output is staged,
 *       where the old one will be put aside, and every file of both with its length;</li>
 *   <li>the old output is moved aside, to {@code .NAME.previous-N};</li>
 *   <li>the new output is moved in, and checked against the journal;</li>
 *   <li>only then are the old output and the journal deleted.</li>
 * </ol>
 *
 * A copy-then-delete move leaves at every instant one whole copy, at its source (while copying) or
 * its destination (while deleting). Whoever finds the journal ({@link #recover}: the next run,
 * before it does anything else, or this run when a move fails) settles on the copy the journal
 * proves whole: the new output in place, else the old output put back, else the new output moved
 * in; it deletes a copy only when another is proven whole.
 */
final class OutputCommit {

    private static final String STAGING = ".staging-";
    private static final String PREVIOUS = ".previous-";
    private static final String JOURNAL = ".commit";
    private static final String JOURNAL_DRAFT = ".commit-draft-";

    private OutputCommit() {
    }

    /** A fresh folder beside {@code target} to write to. */
    static Path stagingFor(Path target) {
        return beside(target, STAGING + System.nanoTime());
    }

    private static Path beside(Path target, String suffix) {
        Path parent = target.getParent() == null ? new Path(".") : target.getParent();
        return new Path(parent, "." + target.getName() + suffix);
    }

    /**
     * Moves {@code staging} to {@code target}. An existing target is replaced only when
     * {@code overwrite}, and is deleted only once the new output is in place and whole.
     *
     * @throws JobFailure  when the target exists and may not be replaced (nothing is changed)
     * @throws IOException when a move fails; the message says where the old and the new output are
     */
    static void replace(FileSystem fs, Path staging, Path target, boolean overwrite) throws IOException, JobFailure {
        boolean replacing = fs.exists(target);
        if (replacing && !overwrite) {
            throw new JobFailure("output " + target + " appeared while the job ran; it was left alone"
                    + " (the new output is at " + staging + ")");
        }
        Journal journal = new Journal(staging, replacing ? beside(target, PREVIOUS + System.nanoTime()) : null,
                Listing.of(fs, staging), replacing ? Listing.of(fs, target) : null);
        Path journalPath = beside(target, JOURNAL);
        journal.write(fs, journalPath, beside(target, JOURNAL_DRAFT + System.nanoTime()));
        if (replacing && !move(fs, target, journal.previous)) {
            if (journal.oldOutput.matches(fs, target)) {
                delete(fs, journal.previous);
                delete(fs, journalPath);
                throw new IOException("could not move the old output " + target + " aside to " + journal.previous
                        + "; nothing was changed, and the new output is at " + staging);
            }
            settleOrSay(fs, target, journal, journalPath, true);
            throw new IOException("could not move the old output " + target + " aside to " + journal.previous
                    + "; it is back in place at " + target + ", and the new output is at " + staging);
        }
        boolean movedIn = move(fs, staging, target) && journal.newOutput.matches(fs, target);
        if (!movedIn) {
            Settled settled = settleOrSay(fs, target, journal, journalPath, true);
            if (settled == Settled.OLD) {
                throw new IOException("could not move the new output " + staging + " to " + target
                        + "; the old output is back in place at " + target + ", and the new one is at " + staging);
            }
            if (settled == Settled.NONE) {
                throw new IOException("could not move the new output " + staging + " to " + target
                        + "; it is still at " + staging);
            }
        }
        if (journal.previous != null && fs.exists(journal.previous) && !delete(fs, journal.previous)) {
            throw new IOException("the new output is in place at " + target + ", but the old output could not be"
                    + " deleted from " + journal.previous + "; delete it");
        }
        delete(fs, journalPath);
    }

    /** What a settled commit left at the target. */
    private enum Settled { NEW, OLD, NONE }

    /** Settles as {@link #settle} does, and says where everything is when it cannot. */
    private static Settled settleOrSay(FileSystem fs, Path target, Journal journal, Path journalPath,
            boolean keepStaging) throws IOException {
        Settled settled = settle(fs, target, journal, keepStaging);
        if (settled == null) {
            throw new IOException("could not put a whole output at " + target + ": the old output is at "
                    + journal.previous + " (move it back to " + target + "), and the new one is at " + journal.staging
                    + "; the next run finishes this from " + journalPath);
        }
        delete(fs, journalPath);
        return settled;
    }

    /**
     * Leaves one whole output at {@code target}, the new one if it is there whole, else the old
     * one, else the new one moved in; deletes the other copies (the staged new output only when not
     * {@code keepStaging}). Returns {@code null}, having deleted nothing, when no copy it needs is whole.
     */
    private static Settled settle(FileSystem fs, Path target, Journal journal, boolean keepStaging)
            throws IOException {
        if (journal.newOutput.matches(fs, target)) {
            deleteIfThere(fs, journal.previous);
            if (!keepStaging) {
                deleteIfThere(fs, journal.staging);
            }
            return Settled.NEW;
        }
        if (journal.oldOutput != null) {
            if (journal.oldOutput.matches(fs, target)) {
                deleteIfThere(fs, journal.previous);
            } else if (journal.oldOutput.matches(fs, journal.previous)) {
                deleteIfThere(fs, target);
                if (!move(fs, journal.previous, target) || !journal.oldOutput.matches(fs, target)) {
                    return null;
                }
            } else {
                return journal.newOutput.matches(fs, journal.staging) ? moveStagedIn(fs, target, journal) : null;
            }
            if (!keepStaging) {
                deleteIfThere(fs, journal.staging);
            }
            return Settled.OLD;
        }
        if (journal.newOutput.matches(fs, journal.staging)) {
            if (keepStaging) {
                deleteIfThere(fs, target);
                return Settled.NONE;
            }
            return moveStagedIn(fs, target, journal);
        }
        return null;
    }

    private static Settled moveStagedIn(FileSystem fs, Path target, Journal journal) throws IOException {
        deleteIfThere(fs, target);
        return move(fs, journal.staging, target) && journal.newOutput.matches(fs, target) ? Settled.NEW : null;
    }

    /**
     * Before a run writes {@code target} (holding its {@link OutputLock}, so no other run is writing
     * there): finishes a commit that a killed run left (from its journal), and removes what dead runs
     * left beside the output (staging folders, journal drafts).
     *
     * @return what was done, one line each, for the user; empty when there was nothing to do
     */
    static List<String> recover(FileSystem fs, Path target) throws IOException {
        List<String> done = new ArrayList<>();
        Path journalPath = beside(target, JOURNAL);
        if (fs.exists(journalPath)) {
            Journal journal = Journal.read(fs, journalPath);
            Settled settled = settle(fs, target, journal, false);
            if (settled == null) {
                throw new IOException("an earlier run was interrupted while replacing " + target + ", and no whole"
                        + " copy of the old or the new output was found: the old output was to be at "
                        + journal.previous + ", the new one at " + journal.staging + "; " + journalPath
                        + " lists their files. Nothing was deleted");
            }
            delete(fs, journalPath);
            done.add("an earlier run was interrupted while replacing " + target + "; "
                    + (settled == Settled.NEW ? "its new output is in place" : "the previous output is back in place"));
        }
        done.addAll(recoverWithoutJournal(fs, target));
        for (FileStatus left : beside(fs, target, STAGING, JOURNAL_DRAFT)) {
            if (delete(fs, left.getPath())) {
                done.add("removed " + left.getPath() + ", left by an earlier run that did not finish");
            }
        }
        return done;
    }

    /**
     * An old output set aside by a run that kept no journal (an earlier version of the job, on a
     * file system whose renames are atomic): put back when the target is missing, else deleted.
     */
    private static List<String> recoverWithoutJournal(FileSystem fs, Path target) throws IOException {
        FileStatus[] left = beside(fs, target, PREVIOUS);
        if (left.length == 0) {
            return List.of();
        }
        Arrays.sort(left, Comparator.comparingLong(FileStatus::getModificationTime));
        int deleteUpTo = left.length;
        String done;
        if (!fs.exists(target)) {
            Path newest = left[left.length - 1].getPath();
            if (!move(fs, newest, target)) {
                throw new IOException("an earlier run was interrupted while replacing " + target
                        + "; its old output is at " + newest + ", and it could not be moved back: move it yourself");
            }
            deleteUpTo = left.length - 1;
            done = "an earlier run was interrupted while replacing " + target + "; the previous output was put back";
        } else {
            done = "an earlier run was interrupted after replacing " + target + "; the old output it left aside was deleted";
        }
        for (int i = 0; i < deleteUpTo; i++) {
            delete(fs, left[i].getPath());
        }
        return List.of(done);
    }

    /** The entries beside {@code target} named {@code .NAME} plus one of the suffixes: by name, not by glob. */
    private static FileStatus[] beside(FileSystem fs, Path target, String... suffixes) throws IOException {
        Path parent = target.getParent() == null ? new Path(".") : target.getParent();
        if (!fs.exists(parent)) {
            return new FileStatus[0];
        }
        return fs.listStatus(parent, path -> {
            for (String suffix : suffixes) {
                if (path.getName().startsWith("." + target.getName() + suffix)) {
                    return true;
                }
            }
            return false;
        });
    }

    private static boolean move(FileSystem fs, Path from, Path to) {
        try {
            return fs.rename(from, to);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean delete(FileSystem fs, Path path) {
        try {
            return fs.delete(path, true);
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteIfThere(FileSystem fs, Path path) throws IOException {
        if (path != null && fs.exists(path) && !fs.delete(path, true)) {
            throw new IOException("could not delete " + path);
        }
    }

    /** Every file under a folder, by its path inside the folder, with its length: what "whole" means here. */
    static final class Listing {
        final Map<String, Long> lengths;

        private Listing(Map<String, Long> lengths) {
            this.lengths = lengths;
        }

        static Listing of(FileSystem fs, Path folder) throws IOException {
            Map<String, Long> lengths = new TreeMap<>();
            String root = fs.getFileStatus(folder).getPath().toUri().getPath();
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(folder, true);
            while (files.hasNext()) {
                LocatedFileStatus file = files.next();
                String path = file.getPath().toUri().getPath();
                lengths.put(path.substring(Math.min(path.length(), root.length() + 1)), file.getLen());
            }
            return new Listing(lengths);
        }

        /** Whether {@code folder} holds exactly these files with these lengths. */
        boolean matches(FileSystem fs, Path folder) throws IOException {
            return folder != null && fs.exists(folder) && fs.getFileStatus(folder).isDirectory()
                    && of(fs, folder).lengths.equals(lengths);
        }
    }

    /** The commit's record: where the new output is staged, where the old one goes, and their files. */
    private static final class Journal {
        final Path staging;
        final Path previous;
        final Listing newOutput;
        final Listing oldOutput;

        Journal(Path staging, Path previous, Listing newOutput, Listing oldOutput) {
            this.staging = staging;
            this.previous = previous;
            this.newOutput = newOutput;
            this.oldOutput = oldOutput;
        }

        /** Written whole to a draft, then renamed: a journal is there complete, or not at all. */
        void write(FileSystem fs, Path journal, Path draft) throws IOException {
            try (FSDataOutputStream stream = fs.create(draft, false);
                    Writer out = new OutputStreamWriter(stream, StandardCharsets.UTF_8)) {
                out.write("staging\t" + staging + "\n");
                if (previous != null) {
                    out.write("previous\t" + previous + "\n");
                }
                writeListing(out, "new", newOutput);
                if (oldOutput != null) {
                    writeListing(out, "old", oldOutput);
                }
                out.write("end\n");
            }
            if (!fs.rename(draft, journal)) {
                throw new IOException("could not write the commit journal " + journal + "; nothing was changed, and"
                        + " the new output is at " + staging);
            }
        }

        private static void writeListing(Writer out, String which, Listing listing) throws IOException {
            for (Map.Entry<String, Long> file : listing.lengths.entrySet()) {
                out.write(which + "\t" + file.getValue() + "\t" + file.getKey() + "\n");
            }
        }

        static Journal read(FileSystem fs, Path journal) throws IOException {
            Path staging = null;
            Path previous = null;
            Map<String, Long> fresh = new TreeMap<>();
            Map<String, Long> old = new TreeMap<>();
            boolean ended = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(journal), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] fields = line.split("\t", 3);
                    switch (fields[0]) {
                        case "staging" -> staging = new Path(fields[1]);
                        case "previous" -> previous = new Path(fields[1]);
                        case "new" -> fresh.put(fields[2], Long.parseLong(fields[1]));
                        case "old" -> old.put(fields[2], Long.parseLong(fields[1]));
                        case "end" -> ended = true;
                        default -> throw new IOException(journal + " is not a commit journal (line '" + line + "')");
                    }
                }
            } catch (RuntimeException e) {
                throw new IOException(journal + " is not a readable commit journal: " + e.getMessage(), e);
            }
            if (!ended || staging == null) {
                throw new IOException(journal + " is incomplete; it was written by a run that did not finish. Check"
                        + " the output and the .previous- and .staging- folders beside it, then delete it");
            }
            return new Journal(staging, previous, new Listing(fresh), previous == null ? null : new Listing(old));
        }
    }
}
