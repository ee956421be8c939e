package io.github.sparklayernorm.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One run at a time per output: {@code .NAME.lock} beside the output, created only if absent, says
 * which run holds it (host, process, since when), and the run rewrites it every
 * {@link #HEARTBEAT_SECONDS} seconds while it lives. A lock is stale, and the next run takes it
 * over with a line saying so, when its process is gone from this host, or when it has not been
 * rewritten for {@link #STALE_AFTER_SECONDS} seconds (its run died on another host).
 *
 * <p>On the local file system and HDFS the lock is created atomically. Object stores without
 * conditional writes have no atomic create: there two runs started within the same second could
 * both take it.
 */
final class OutputLock implements AutoCloseable {

    static final long HEARTBEAT_SECONDS = 30;
    static final long STALE_AFTER_SECONDS = 600;
    private static final String SUFFIX = ".lock";
    private static final long WAIT_POLL_MILLIS = 1000;

    private final FileSystem fs;
    private final Path lock;
    private final Holder holder;
    private final ScheduledExecutorService heartbeat;

    private OutputLock(FileSystem fs, Path lock, Holder holder) {
        this.fs = fs;
        this.lock = lock;
        this.holder = holder;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "LayerNormJob output lock heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        heartbeat.scheduleWithFixedDelay(this::beat, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    /** The lock file of {@code target}. */
    static Path of(Path target) {
        Path parent = target.getParent() == null ? new Path(".") : target.getParent();
        return new Path(parent, "." + target.getName() + SUFFIX);
    }

    /**
     * Takes the lock of {@code target}, taking over a stale one (said on {@code err}); when another
     * live run holds it, waits for it if {@code wait}, else refuses.
     */
    static OutputLock acquire(FileSystem fs, Path target, boolean wait, PrintWriter err)
            throws IOException, JobFailure {
        Path lock = of(target);
        Holder me = Holder.thisProcess();
        boolean said = false;
        while (true) {
            if (create(fs, lock, me)) {
                return new OutputLock(fs, lock, me);
            }
            Optional<Holder> found = Holder.read(fs, lock);
            if (found.isEmpty()) {
                // Released between the two steps, or caught while its holder rewrites it: look again.
                pause(50);
                found = Holder.read(fs, lock);
            }
            long written;
            try {
                written = fs.getFileStatus(lock).getModificationTime();
            } catch (java.io.FileNotFoundException e) {
                continue;
            }
            // A lock that stays unreadable is judged by its age alone.
            Holder other = found.orElseGet(Holder::unknown);
            String stale = other.staleBecause(Instant.now(), written);
            if (stale != null) {
                if (takeOver(fs, lock, other)) {
                    err.println("LayerNormJob: took over the lock " + lock + " of a run that is gone (" + other
                            + "; " + stale + ")");
                }
                continue;
            }
            if (!wait) {
                throw new JobFailure("output " + target + " is being written by another run (" + other + "; lock "
                        + lock + "); wait for it to finish, pass --wait-for-lock to wait, or, if no such run exists,"
                        + " delete " + lock);
            }
            if (!said) {
                err.println("LayerNormJob: waiting for the run that is writing " + target + " (" + other + ")");
                said = true;
            }
            if (!pause(WAIT_POLL_MILLIS)) {
                throw new JobFailure("interrupted while waiting for the lock " + lock);
            }
        }
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Creates the lock only if absent; {@code false} when it exists. */
    private static boolean create(FileSystem fs, Path lock, Holder me) throws IOException {
        java.nio.file.Path local = local(fs, lock);
        if (local != null) {
            // The local file system's create(overwrite=false) checks, then creates: not atomic.
            try {
                Files.createFile(local);
            } catch (FileAlreadyExistsException e) {
                return false;
            }
            try {
                me.write(fs, lock);
            } catch (IOException | RuntimeException e) {
                // A lock that names no run would hold the next runs off: it goes, and the reason is said.
                Files.deleteIfExists(local);
                throw e;
            }
            return true;
        }
        if (fs.exists(lock)) {
            return false;
        }
        try (OutputStream out = fs.create(lock, false)) {
            me.store(out);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
        return true;
    }

    /** The lock as a local file, or {@code null} on any other file system. */
    private static java.nio.file.Path local(FileSystem fs, Path lock) {
        Path qualified = fs.makeQualified(lock);
        return "file".equals(qualified.toUri().getScheme()) ? Paths.get(qualified.toUri()) : null;
    }

    /**
     * Moves a stale lock out of the way, by a rename only one run can win; if what was moved is not
     * the lock that was judged stale (a live run took it over in between), it is put back.
     */
    private static boolean takeOver(FileSystem fs, Path lock, Holder stale) throws IOException {
        Path moved = new Path(lock.getParent(), lock.getName() + ".stale-" + UUID.randomUUID());
        if (!fs.rename(lock, moved)) {
            return false;
        }
        Optional<Holder> was = Holder.read(fs, moved);
        if (was.isPresent() && !was.get().token.equals(stale.token)) {
            fs.rename(moved, lock);
            return false;
        }
        fs.delete(moved, false);
        return true;
    }

    private void beat() {
        try {
            Optional<Holder> now = Holder.read(fs, lock);
            if (now.isPresent() && now.get().token.equals(holder.token)) {
                holder.write(fs, lock);
            }
        } catch (IOException | RuntimeException e) {
            // A missed beat only brings staleness closer; the next beat tries again.
        }
    }

    /** Releases the lock, if it is still this run's. */
    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        Optional<Holder> now = Holder.read(fs, lock);
        if (now.isPresent() && now.get().token.equals(holder.token)) {
            fs.delete(lock, false);
        }
    }

    /** Who holds a lock: what the lock file says. */
    static final class Holder {
        final String token;
        final String host;
        final long pid;
        final Instant processStart;
        final Instant since;

        Holder(String token, String host, long pid, Instant processStart, Instant since) {
            this.token = token;
            this.host = host;
            this.pid = pid;
            this.processStart = processStart;
            this.since = since;
        }

        static Holder thisProcess() {
            ProcessHandle self = ProcessHandle.current();
            return new Holder(UUID.randomUUID().toString(), hostName(), self.pid(),
                    self.info().startInstant().orElse(Instant.EPOCH), Instant.now());
        }

        /** A lock file that cannot be read: whose it is, nobody can say. */
        static Holder unknown() {
            return new Holder("", "(unknown host)", -1, Instant.EPOCH, Instant.EPOCH);
        }

        static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        }

        /** Why this holder's run is gone, or {@code null} when it may be alive. */
        String staleBecause(Instant now, long lastWrittenMillis) {
            if (host.equals(hostName())) {
                Optional<ProcessHandle> process = ProcessHandle.of(pid);
                boolean alive = process.isPresent() && process.get().isAlive()
                        && process.get().info().startInstant().map(processStart::equals).orElse(true);
                if (!alive) {
                    return "process " + pid + " no longer runs on this host";
                }
                return null;
            }
            long silentSeconds = (now.toEpochMilli() - lastWrittenMillis) / 1000;
            return silentSeconds > STALE_AFTER_SECONDS ? "not renewed for " + silentSeconds + " s, more than "
                    + STALE_AFTER_SECONDS + " s" : null;
        }

        void write(FileSystem fs, Path lock) throws IOException {
            java.nio.file.Path local = local(fs, lock);
            if (local != null) {
                // Written directly: Hadoop's local file system would also write a checksum file.
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                store(bytes);
                Files.write(local, bytes.toByteArray());
                return;
            }
            try (OutputStream out = fs.create(lock, true)) {
                store(out);
            }
        }

        void store(OutputStream out) throws IOException {
            Properties p = new Properties();
            p.setProperty("token", token);
            p.setProperty("host", host);
            p.setProperty("pid", Long.toString(pid));
            p.setProperty("process-start", processStart.toString());
            p.setProperty("since", since.toString());
            OutputStreamWriter writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            p.store(writer, "LayerNormJob: the run writing this output");
            writer.flush();
        }

        /** The holder a lock file names; empty when the file is gone or not (yet) whole. */
        static Optional<Holder> read(FileSystem fs, Path lock) throws IOException {
            Properties p = new Properties();
            try (InputStream in = fs.open(lock)) {
                p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            } catch (java.io.FileNotFoundException e) {
                return Optional.empty();
            } catch (IOException e) {
                // Caught while its holder rewrote it (a checksum that no longer matches, say): unreadable now.
                return Optional.empty();
            }
            try {
                return Optional.of(new Holder(p.getProperty("token"), p.getProperty("host"),
                        Long.parseLong(p.getProperty("pid")), Instant.parse(p.getProperty("process-start")),
                        Instant.parse(p.getProperty("since"))));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        @Override
        public String toString() {
            if (pid < 0) {
                return "a lock file that names no run";
            }
            return "host " + host + ", process " + pid + ", since " + since;
        }
    }
}
