package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.ShownPath;
import io.cgrender.core.ui.Visible;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The files a {@code run} job brings back ({@code run --outputs GLOB}). When the job ends, however it ends, the box
 * keeps the regular files of its work directory that match in the job's {@code out/} (run.sh's
 * {@code collect_outputs}, which never follows a symbolic link) and lists them with their SHA-256; the work directory
 * itself goes as before. The client brings back, from that list, the files the command created or changed — never a
 * synced input the job left as it was — whenever it gets to it: right after the job, or later with
 * {@code cgrender fetch JOB}. Each file is written atomically (temporary name, then renamed into place).
 * <p>
 * A local file is left alone when it already has the job's content. In the work directory itself a local file is
 * replaced only if it is still what the job started from; one that changed (or appeared) here while the job ran is
 * kept, and the job's version is written beside it as {@code NAME.JOB-ID}. Elsewhere ({@code -o DIR}, or a run
 * without a work directory) files are replaced as render results are.
 */
public final class JobOutputs {

    /** In the job's directory on the box: the expression of the paths to keep ({@link OutputGlobs#findRegex}). */
    static final String GLOBS_FILE = "outputs";
    /** In the job's directory on the box: the files kept, below it as below the work directory. */
    static final String KEPT_DIR = "out";
    private static final String HASHES_FILE = "out.sha256";
    private static final String SKIPPED_FILE = "out.skipped";
    private static final String MARK = "--- cgrender skipped ---";

    /** One file the box kept: its path relative to the work directory and its content's SHA-256. */
    record Kept(String path, String sha256) {
    }

    /** What becomes of a kept file here. */
    enum Action {
        /** Written (new here, or replacing an older version). */
        WRITE,
        /** A synced input the job left as it was: not brought back. */
        UNCHANGED_INPUT,
        /** The local file already has this content: not written again. */
        UP_TO_DATE,
        /** The local file changed here while the job ran: kept, and the job's version written beside it. */
        BESIDE,
        /** A name that cannot be written below the output directory (it would leave it, or has a line break). */
        UNSAFE
    }

    /**
     * The plan for one kept file: what to do, the local file it is ({@code local}) and the one written
     * ({@code target}: {@code local}, or beside it).
     */
    record Decision(Kept file, Action action, Path local, Path target) {

        Decision(Kept file, Action action, Path local) {
            this(file, action, local, local);
        }
    }

    /** What came back: the local files written. */
    public record Collected(List<Path> written) {
    }

    private final RemoteHost host;
    private final FileHashes hashes;
    private final Console console;
    private final Path cwd;
    private final Duration timeout;

    /** @param cwd where the files written are shown relative to */
    public JobOutputs(RemoteHost host, FileHashes hashes, Console console, Path cwd, Duration timeout) {
        this.host = host;
        this.hashes = hashes;
        this.console = console;
        this.cwd = cwd;
        this.timeout = timeout;
    }

    /**
     * Brings back the outputs of {@code record}'s job, which has ended, given what its work directory held when it
     * started ({@code inputs}: path → SHA-256). Names each file written on the console; warns about what is not
     * brought back and why.
     */
    public Collected bringBack(JobRecord record, RunOutputs outputs, Map<String, String> inputs) {
        String jobDir = RemoteJobs.jobDir(record.id());
        // NUL ends every record, and no path holds one: the mark between the two lists is unmistakable.
        List<String> listing = List.of(host.exec("cd " + Shell.quote(jobDir) + " && cat " + HASHES_FILE
                + " && printf '\\0%s\\0' " + Shell.quote(MARK) + " && cat " + SKIPPED_FILE, timeout).stdout()
                .split("\0"));
        int mark = listing.indexOf(MARK);
        if (mark < 0) {
            console.warn("job " + record.id() + " kept no outputs on " + record.boxId() + " (it ended before it got"
                    + " to that: " + record.stage().word() + "); nothing to bring back");
            return new Collected(List.of());
        }
        List<Kept> kept = parseHashes(listing.subList(0, mark));
        for (String skipped : listing.subList(mark + 1, listing.size())) {
            if (skipped.length() > 2) {
                console.warn("not brought back: " + Visible.quoted(skipped.substring(2)) + " is "
                        + kind(skipped.charAt(0)) + ", not a regular file");
            }
        }
        List<Decision> plan = plan(kept, inputs, outputs, record.id(), this::localHash);
        Map<String, Path> downloads = new LinkedHashMap<>();
        int unchanged = 0;
        for (Decision d : plan) {
            switch (d.action()) {
                case WRITE, BESIDE -> downloads.put(jobDir + "/" + KEPT_DIR + "/" + d.file().path(), d.target());
                case UNCHANGED_INPUT -> {
                    unchanged++;
                    console.verbose(d.file().path() + ": a synced input the job left unchanged; not brought back");
                }
                case UP_TO_DATE -> console.verbose(ShownPath.of(d.local(), cwd) + " is up to date");
                case UNSAFE -> console.warn("not brought back: " + Visible.quoted(d.file().path()) + " cannot be"
                        + " written below " + outputs.dir());
            }
        }
        if (kept.isEmpty()) {
            console.status("job " + record.id() + " made no files matching " + outputs.globs());
        } else if (downloads.isEmpty() && unchanged == kept.size()) {
            console.status("the files matching " + outputs.globs() + " are inputs job " + record.id()
                    + " left unchanged; nothing to bring back");
        } else if (downloads.isEmpty()) {
            console.status("the files job " + record.id() + " brings back are here already");
        }
        host.downloadAll(downloads);
        List<Path> written = new ArrayList<>();
        for (Decision d : plan) {
            if (d.action() == Action.BESIDE) {
                console.warn(ShownPath.of(d.local(), cwd) + " changed here while job " + record.id() + " ran; kept"
                        + " it, and wrote the job's version beside it");
            }
            if (d.action() == Action.WRITE || d.action() == Action.BESIDE) {
                console.status("wrote " + ShownPath.of(d.target(), cwd));
                written.add(d.target());
            }
        }
        return new Collected(written);
    }

    /**
     * What to do with each kept file, in path order: {@code inputs} is what the job started from (path → SHA-256),
     * {@code localHash} the SHA-256 of a local regular file, empty when there is none (or something else is there).
     */
    static List<Decision> plan(List<Kept> kept, Map<String, String> inputs, RunOutputs outputs, String jobId,
                               Function<Path, Optional<String>> localHash) {
        Path dir = outputs.dir().toAbsolutePath().normalize();
        List<Decision> plan = new ArrayList<>();
        for (Kept k : kept.stream().sorted(java.util.Comparator.comparing(Kept::path)).toList()) {
            Optional<Path> target = below(dir, k.path());
            if (target.isEmpty()) {
                plan.add(new Decision(k, Action.UNSAFE, dir));
                continue;
            }
            Path local = target.get();
            String input = inputs.get(k.path());
            if (k.sha256().equals(input)) {
                plan.add(new Decision(k, Action.UNCHANGED_INPUT, local));
                continue;
            }
            boolean present = Files.exists(local, LinkOption.NOFOLLOW_LINKS);
            Optional<String> here = present ? localHash.apply(local) : Optional.empty();
            if (here.isPresent() && here.get().equals(k.sha256())) {
                plan.add(new Decision(k, Action.UP_TO_DATE, local));
            } else if (!present || here.isPresent() && (here.get().equals(input) || !outputs.intoWorkdir())) {
                plan.add(new Decision(k, Action.WRITE, local));
            } else {
                plan.add(new Decision(k, Action.BESIDE, local, local.resolveSibling(local.getFileName() + "."
                        + jobId)));
            }
        }
        return plan;
    }

    /** {@code path} below {@code dir}, if it is a plain relative path that stays there. */
    static Optional<Path> below(Path dir, String path) {
        if (path.isEmpty() || path.startsWith("/") || path.indexOf('\n') >= 0 || path.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return Optional.empty();
            }
        }
        Path resolved = dir.resolve(path).normalize();
        return resolved.startsWith(dir) && !resolved.equals(dir) ? Optional.of(resolved) : Optional.empty();
    }

    /** The records of {@code sha256sum -z}'s output ("HASH  PATH", split where each ended by NUL). */
    static List<Kept> parseHashes(List<String> records) {
        List<Kept> kept = new ArrayList<>();
        for (String r : records) {
            if (r.length() > 66 && r.startsWith("  ", 64)) {
                kept.add(new Kept(r.substring(66), r.substring(0, 64)));
            }
        }
        return kept;
    }

    private Optional<String> localHash(Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(hashes.of(file).sha256());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** find's {@code %y} letter as words. */
    private static String kind(char type) {
        return switch (type) {
            case 'l' -> "a symbolic link (never followed)";
            case 'p' -> "a named pipe";
            case 's' -> "a socket";
            case 'b' -> "a block device";
            case 'c' -> "a character device";
            default -> "something else";
        };
    }
}
