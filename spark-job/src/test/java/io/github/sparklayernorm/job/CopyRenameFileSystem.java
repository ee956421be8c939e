package io.github.sparklayernorm.job;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The local disk seen as an object store sees it: a folder rename is a copy of each file, then a
 * delete of each, one step at a time, and the process can be killed at any step. Registered as
 * {@code copyrename://} through {@code fs.copyrename.impl}.
 *
 * <p>A kill is an {@link Error} the code under test does not catch: what the steps before it did
 * stays on disk, nothing after it runs, as with {@code kill -9}. Only moves of the entries beside
 * the output named {@link #watched} count as steps (the job's staging, aside, journal and the
 * output itself), not the renames Spark's committer makes inside the staging folder.
 */
public class CopyRenameFileSystem extends RawLocalFileSystem {

    /** Thrown at the step chosen to die at. */
    static final class Killed extends Error {
        private static final long serialVersionUID = 1L;

        Killed(int step) {
            super("killed at step " + step);
        }
    }

    /** The output's name: renames of {@code NAME} and {@code .NAME...} count as steps. */
    static volatile String watched = "";
    /** The step to die at (1 is the first); 0 never. */
    static volatile int killAt;
    /** Steps counted since the last {@link #reset}. */
    static final AtomicInteger steps = new AtomicInteger();

    static void reset(String output, int killAtStep) {
        watched = output;
        killAt = killAtStep;
        steps.set(0);
    }

    @Override
    public URI getUri() {
        return URI.create("copyrename:///");
    }

    @Override
    public String getScheme() {
        return "copyrename";
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(URI.create("file:///"), conf);
    }

    // The local file system reads a status's permissions through a file: URI; here they are plain values.
    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return plain(super.getFileStatus(f));
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        FileStatus[] statuses = super.listStatus(f);
        for (int i = 0; i < statuses.length; i++) {
            statuses[i] = plain(statuses[i]);
        }
        return statuses;
    }

    private static FileStatus plain(FileStatus s) {
        return new FileStatus(s.getLen(), s.isDirectory(), 1, s.getBlockSize(), s.getModificationTime(),
                s.getAccessTime(), FsPermission.getDefault(), "owner", "group", s.getPath());
    }

    private boolean counts(Path src) {
        String name = src.getName();
        return !watched.isEmpty() && (name.equals(watched) || name.startsWith("." + watched + "."));
    }

    private void step(boolean counting) {
        if (counting) {
            int now = steps.incrementAndGet();
            if (now == killAt) {
                throw new Killed(now);
            }
        }
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        boolean counting = counts(src);
        if (!exists(src) || exists(dst)) {
            return false;
        }
        if (!getFileStatus(src).isDirectory()) {
            step(counting);
            return super.rename(src, dst);
        }
        copy(src, dst, counting);
        removeEach(src, counting);
        return true;
    }

    private void copy(Path src, Path dst, boolean counting) throws IOException {
        mkdirs(dst);
        for (FileStatus entry : listStatus(src)) {
            Path to = new Path(dst, entry.getPath().getName());
            if (entry.isDirectory()) {
                copy(entry.getPath(), to, counting);
            } else {
                step(counting);
                FileUtil.copy(this, entry.getPath(), this, to, false, true, getConf());
            }
        }
    }

    private void removeEach(Path folder, boolean counting) throws IOException {
        for (FileStatus entry : listStatus(folder)) {
            if (entry.isDirectory()) {
                removeEach(entry.getPath(), counting);
            } else {
                step(counting);
                super.delete(entry.getPath(), false);
            }
        }
        super.delete(folder, true);
    }
}
