package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.os.FileTree;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The jobs this client started, one directory each under {@code $XDG_STATE_HOME/cgrender/jobs/<id>/}: the record
 * ({@code job.properties}), for a {@code run} job that brings files back the content hash of each file it started
 * from ({@code inputs}), and, once fetched, the job's log ({@code log}). They may name private models and carry
 * their output, so this user alone may read them, whatever the umask: directories 0700, files 0600.
 */
public final class JobRecords {

    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path dir;

    /** @param dir normally {@code $XDG_STATE_HOME/cgrender/jobs} */
    public JobRecords(Path dir) {
        this.dir = dir;
    }

    public void save(JobRecord record) {
        Path file = dir.resolve(record.id()).resolve("job.properties");
        try {
            privateDirectory(record.id());
            Path tmp = Files.createTempFile(file.getParent(), "job", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                record.toProperties().store(out, "cgrender job");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CgrenderException("cannot save the record of job " + record.id() + " in " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Records {@code record} (its id exists from now on) and starts its job; a job that could not start is recorded
     * as failed.
     */
    public void start(JobRecord record, RemoteJobs jobs, JobSpec spec) {
        save(record);
        try {
            jobs.start(spec);
        } catch (RuntimeException e) {
            save(record.withStage(JobStatus.Stage.FAILED));
            throw e;
        }
    }

    /** Forgets the job {@code id}: its record and fetched log. */
    public void forget(String id) {
        Path jobDir = dir.resolve(id);
        try {
            FileTree.delete(jobDir);
        } catch (IOException e) {
            throw new CgrenderException("cannot forget job " + id + " in " + jobDir + ": " + e.getMessage(), e);
        }
    }

    /** The record of {@code id}, or a one-line error naming how to find job ids. */
    public JobRecord get(String id) {
        if (!JobIds.isJobId(id)) {
            throw new UsageException("'" + id + "' is not a job id (they look like j-20261125-014503-3f2a)")
                    .see("cgrender jobs");
        }
        Path file = dir.resolve(id).resolve("job.properties");
        if (!Files.exists(file)) {
            throw new UsageException("no job " + id + " was started from here (records are in " + dir + ")")
                    .see("cgrender jobs");
        }
        return read(file);
    }

    /** All records, newest first. */
    public List<JobRecord> all() {
        List<JobRecord> records = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return records;
        }
        try (DirectoryStream<Path> jobs = Files.newDirectoryStream(dir)) {
            for (Path job : jobs) {
                Path file = job.resolve("job.properties");
                if (Files.exists(file)) {
                    records.add(read(file));
                }
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        records.sort(Comparator.comparing(JobRecord::createdAt).reversed());
        return records;
    }

    /**
     * Remembers what the job's work directory held when it started: path (relative to it) → SHA-256 of the content.
     * One {@code sha256sum} line a file; names hold no line break ({@link io.cgrender.core.sync.SyncFile}).
     */
    public void saveInputs(String id, Map<String, String> sha256ByPath) {
        Path file = dir.resolve(id).resolve(INPUTS);
        StringBuilder text = new StringBuilder();
        sha256ByPath.forEach((path, hash) -> text.append(hash).append("  ").append(path).append('\n'));
        try {
            privateDirectory(id);
            Path tmp = Files.createTempFile(file.getParent(), "inputs", ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CgrenderException("cannot save the inputs of job " + id + " in " + file + ": " + e.getMessage(),
                    e);
        }
    }

    /** What {@link #saveInputs} remembered of the job; empty when it started from nothing. */
    public Map<String, String> inputs(String id) {
        Path file = dir.resolve(id).resolve(INPUTS);
        Map<String, String> inputs = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return inputs;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.length() > 66 && line.startsWith("  ", 64)) {
                    inputs.put(line.substring(66), line.substring(0, 64));
                }
            }
            return inputs;
        } catch (IOException e) {
            throw new CgrenderException("cannot read the inputs of job " + id + " in " + file + ": " + e.getMessage(),
                    e);
        }
    }

    private static final String INPUTS = "inputs";

    /** Where the job's log is kept here once fetched. */
    public Path logFile(String id) {
        return dir.resolve(id).resolve("log");
    }

    /** Something that writes a job's log to the file it is given; false when there was no log to write. */
    public interface LogDownload {
        boolean writeTo(Path file) throws IOException;
    }

    /**
     * Keeps the job's log here ({@link #logFile}): {@code download} writes it, however its writer sets modes, into
     * the job's private directory, and the file is then made 0600.
     *
     * @return what {@code download} returned
     */
    public boolean saveLog(String id, LogDownload download) {
        Path file = logFile(id);
        try {
            privateDirectory(id);
            boolean written = download.writeTo(file);
            if (Files.exists(file)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
            }
            return written;
        } catch (IOException e) {
            throw new CgrenderException("cannot keep the log of job " + id + " in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The jobs directory and the job's own, created 0700, or made so if an earlier version left them open. */
    private void privateDirectory(String id) throws IOException {
        for (Path d : List.of(dir, dir.resolve(id))) {
            Files.createDirectories(d, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            if (!Files.getPosixFilePermissions(d).equals(OWNER_ONLY_DIRECTORY)) {
                Files.setPosixFilePermissions(d, OWNER_ONLY_DIRECTORY);
            }
        }
    }

    private static JobRecord read(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            return JobRecord.fromProperties(p);
        } catch (IOException | RuntimeException e) {
            throw new CgrenderException("cannot read job record " + file + ": " + e.getMessage(), e);
        }
    }
}
