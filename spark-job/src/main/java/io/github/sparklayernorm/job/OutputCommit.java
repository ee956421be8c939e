package io.github.sparklayernorm.job;

import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Puts a finished output in place without ever losing the old one. The job writes to a staging
 * folder beside the output; then, with {@code --mode overwrite}:
 *
 * <ol>
 *   <li>the old output is moved aside, to {@code .NAME.previous-N} beside it;</li>
 *   <li>the new output is moved in;</li>
 *   <li>only then is the old one deleted.</li>
 * </ol>
 *
 * If step 2 fails, the old output is moved back and the error says where everything is. If the
 * process dies between the steps, the old output is whole at {@code .NAME.previous-N}, and the next
 * run puts it back ({@link #recover}) before it does anything else.
 */
final class OutputCommit {

    private static final String STAGING = ".staging-";
    private static final String PREVIOUS = ".previous-";

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
     * {@code overwrite}, and is deleted only once the new output is in place.
     *
     * @throws JobFailure when the target exists and may not be replaced (nothing is changed)
     * @throws IOException             when a move fails; the message says where the old and the new output are
     */
    static void replace(FileSystem fs, Path staging, Path target, boolean overwrite)
            throws IOException, JobFailure {
        Path previous = null;
        if (fs.exists(target)) {
            if (!overwrite) {
                throw new JobFailure("output " + target + " appeared while the job ran; it was left alone"
                        + " (the new output is at " + staging + ")");
            }
            previous = beside(target, PREVIOUS + System.nanoTime());
            if (!move(fs, target, previous)) {
                throw new IOException("could not move the old output " + target + " aside to " + previous
                        + "; nothing was changed, and the new output is at " + staging);
            }
        }
        if (!move(fs, staging, target)) {
            if (previous == null) {
                throw new IOException("could not move the new output " + staging + " to " + target
                        + "; it is still at " + staging);
            }
            if (move(fs, previous, target)) {
                throw new IOException("could not move the new output " + staging + " to " + target
                        + "; the old output is back in place at " + target + ", and the new one is at " + staging);
            }
            throw new IOException("could not move the new output " + staging + " to " + target
                    + ", nor the old output back: the old output is at " + previous + " (move it back to " + target
                    + "), and the new one is at " + staging);
        }
        if (previous != null && !delete(fs, previous)) {
            throw new IOException("the new output is in place at " + target + ", but the old output could not be"
                    + " deleted from " + previous + "; delete it");
        }
    }

    /**
     * Before a run writes {@code target}: an old output that a run killed mid-way left aside is put
     * back (when the target is missing) or deleted (when the new output did arrive).
     *
     * @return what was done, for the user, or {@code null} when there was nothing to do
     */
    static String recover(FileSystem fs, Path target) throws IOException {
        FileStatus[] left = fs.globStatus(beside(target, PREVIOUS + "*"));
        if (left == null || left.length == 0) {
            return null;
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
            done = "an earlier run was interrupted while replacing " + target + "; its previous output was put back";
        } else {
            done = "an earlier run was interrupted after replacing " + target + "; the old output it left aside was deleted";
        }
        for (int i = 0; i < deleteUpTo; i++) {
            delete(fs, left[i].getPath());
        }
        return done;
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
}
