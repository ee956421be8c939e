package io.github.sparklayernorm.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobPattern;
import org.apache.hadoop.fs.Path;

/**
 * The job's paths must not overlap: an output (or checkpoint) that is the input, lies inside it or
 * contains it would be deleted, replaced or read back by the job itself. Spark's own check compares
 * exact paths of a direct write only, and the job writes to a staging folder first, so the job
 * compares its paths itself, before anything is written or moved: fully qualified, on the same
 * file system, local paths with their links resolved, the input's glob by what it matches now and by
 * what it could match later.
 */
final class PathOverlap {

    private static final Pattern GLOB = Pattern.compile("[*?\\[\\]{}\\\\]");

    private PathOverlap() {
    }

    /** A path as the job compares it: its file system, and its name components from the root. */
    private static final class Place {
        final String fileSystem;
        final List<String> components;
        final String shown;

        Place(Path qualified) {
            java.net.URI uri = qualified.toUri();
            this.fileSystem = uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority());
            this.components = components(uri.getPath());
            this.shown = qualified.toString();
        }

        /** Whether {@code other} is this place or lies inside it. */
        boolean holds(Place other) {
            return fileSystem.equals(other.fileSystem) && other.components.size() >= components.size()
                    && other.components.subList(0, components.size()).equals(components);
        }
    }

    private static List<String> components(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts;
    }

    /**
     * Refuses an {@code output} (named {@code outputOption} in messages) that overlaps the input:
     * is a path the input glob matches (now, or could match later), lies inside one, or contains
     * one or the input's folder.
     */
    static void refuseOverlapWithInput(Configuration hadoop, String input, String outputOption, String output)
            throws IOException, PathConflict {
        Place out = place(hadoop, new Path(output));
        Path inputPath = new Path(input);
        FileSystem inputFs = inputPath.getFileSystem(hadoop);
        Path qualifiedInput = inputFs.makeQualified(inputPath);
        Place root = place(hadoop, fixedPrefix(qualifiedInput));
        if (out.holds(root)) {
            throw new PathConflict(outputOption + " " + output + " contains the input " + input + " ("
                    + out.shown + " holds " + root.shown + "): the job would " + consequence(outputOption)
                    + "; give an " + outputOption + " outside the input's folder");
        }
        FileStatus[] matches = inputFs.globStatus(inputPath);
        if (matches != null) {
            for (FileStatus match : matches) {
                Place read = place(hadoop, match.getPath());
                if (out.holds(read) || read.holds(out)) {
                    throw new PathConflict(outputOption + " " + output + (out.holds(read) ? " contains " : " lies inside ")
                            + read.shown + ", which the input " + input + " reads: the job would "
                            + consequence(outputOption) + "; give an " + outputOption + " outside the input");
                }
            }
        }
        if (root.holds(out) && couldMatch(qualifiedInput, fixedPrefix(qualifiedInput), root, out)) {
            throw new PathConflict(outputOption + " " + output + " is where the input " + input + " would read"
                    + " from (" + out.shown + " matches its pattern): the job would " + consequence(outputOption)
                    + " on a later run; give an " + outputOption + " that the input's pattern does not match");
        }
    }

    /** Refuses two of the job's own places ({@code --checkpoint} and {@code --output}) that overlap. */
    static void refuseOverlap(Configuration hadoop, String firstOption, String first, String secondOption,
            String second) throws IOException, PathConflict {
        Place a = place(hadoop, new Path(first));
        Place b = place(hadoop, new Path(second));
        if (a.holds(b) || b.holds(a)) {
            throw new PathConflict(firstOption + " " + first + " and " + secondOption + " " + second + " overlap ("
                    + a.shown + ", " + b.shown + "): writing one would change the other; give them folders apart");
        }
    }

    private static String consequence(String option) {
        return option.equals("--output") ? "replace or read back its own input" : "read its own state as input";
    }

    /** The input's leading components that hold no glob character: the folder it reads under. */
    private static Path fixedPrefix(Path qualified) {
        Path fixed = qualified;
        for (Path p = qualified; p != null; p = p.getParent()) {
            if (GLOB.matcher(p.getName()).find()) {
                fixed = p.getParent();
            }
        }
        return fixed == null ? qualified : fixed;
    }

    /**
     * Whether {@code out}, which lies under the glob's fixed folder, is a path the glob matches or
     * lies inside one: each of its components below the folder against the glob's component there.
     */
    private static boolean couldMatch(Path qualifiedInput, Path fixed, Place root, Place out) {
        List<String> pattern = components(qualifiedInput.toUri().getPath());
        // The glob's own components, below its folder (whose links the root has resolved).
        List<String> below = pattern.subList(components(fixed.toUri().getPath()).size(), pattern.size());
        int from = root.components.size();
        if (below.isEmpty() || out.components.size() < from + below.size()) {
            // A plain path (compared above), or an output above the depth the glob reads at.
            return false;
        }
        for (int i = 0; i < below.size(); i++) {
            if (!GlobPattern.compile(below.get(i)).matcher(out.components.get(from + i)).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Fully qualified; on the local file system, with links resolved as far as the path exists. */
    private static Place place(Configuration hadoop, Path path) throws IOException {
        FileSystem fs = path.getFileSystem(hadoop);
        Path qualified = fs.makeQualified(path);
        if ("file".equals(qualified.toUri().getScheme())) {
            java.nio.file.Path local = Paths.get(qualified.toUri().getPath());
            java.nio.file.Path existing = local;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing != null) {
                java.nio.file.Path real = existing.toRealPath().resolve(existing.relativize(local));
                qualified = fs.makeQualified(new Path(real.toString()));
            }
        }
        return new Place(qualified);
    }

    /** Paths that overlap: a usage error (exit 2), found before anything was written or moved. */
    static final class PathConflict extends Exception {
        private static final long serialVersionUID = 1L;

        PathConflict(String message) {
            super(message);
        }
    }
}
