package io.cgrender.core.job;

import io.cgrender.core.price.Price;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobRecordsTest {

    @TempDir
    Path dir;

    @Test
    void aRecordWithDeliveryIsReadBackAsSaved() {
        JobRecords records = new JobRecords(dir);
        JobRecord record = new JobRecord("j-20261125-010203-abcd", "render", "ec2", "/alice/", "i-0123456789abcdef0",
                "openscad-ubuntu-box", "tiny/cube.scad", Instant.parse("2026-11-25T01:02:03Z"),
                JobStatus.Stage.RUNNING, List.of(new JobRecord.Output(".cgrender/jobs/j/out/t0.stl",
                dir.resolve("cube.stl"), ".cgrender/jobs/j/out/t0.exit", Optional.of("k"), "output", "cube.stl")),
                Map.of("/home/ubuntu/", "./"), Map.of(JobRecord.LOCATION, "s3://b/alice/cube/j/", "box-access",
                "instance-profile"));
        records.save(record.withDelivery("mailed", "2026-11-25T01:03:00Z"));
        JobRecord read = records.get(record.id());
        assertEquals(record.withDelivery("mailed", "2026-11-25T01:03:00Z"), read);
        assertEquals(Optional.of("s3://b/alice/cube/j/"), read.location());
        assertEquals("cube.stl", read.outputs().get(0).resultName());
    }

    @Test
    void aRunJobRemembersWhatItBringsBackAndWhatItStartedFrom() throws Exception {
        JobRecords records = new JobRecords(dir);
        RunOutputs outputs = new RunOutputs(OutputGlobs.parse(List.of("out/**", "*.log")), dir.resolve("proj"), true);
        JobRecord record = new JobRecord("j-20261125-010203-abcd", "run", "local", "/alice/", "l-0123456789ab",
                "echo-box", "make", Instant.parse("2026-11-25T01:02:03Z"), JobStatus.Stage.RUNNING, List.of(),
                Map.of(), Map.of(), Optional.of(outputs));
        records.save(record);
        records.saveInputs(record.id(), Map.of("src/a b.c", "a".repeat(64), "Makefile", "b".repeat(64)));

        JobRecord read = records.get(record.id());
        assertEquals(List.of("out/**", "*.log"), read.runOutputs().orElseThrow().globs().globs());
        assertEquals(dir.resolve("proj"), read.runOutputs().orElseThrow().dir());
        assertTrue(read.runOutputs().orElseThrow().intoWorkdir());
        assertTrue(read.withStage(JobStatus.Stage.FAILED).runOutputs().isPresent(), "kept as the stage changes");
        assertEquals(Map.of("src/a b.c", "a".repeat(64), "Makefile", "b".repeat(64)), records.inputs(record.id()));
        assertEquals("rw-------", mode(dir.resolve(record.id()).resolve("inputs")));
        assertEquals(Map.of(), records.inputs("j-20261125-010203-ffff"), "a job that started from nothing");
    }

    @Test
    void recordsAndLogsAreReadableByThisUserAloneWhateverTheUmask() throws Exception {
        Path jobs = dir.resolve("jobs");
        JobRecords records = new JobRecords(jobs);
        JobRecord record = new JobRecord("j-20261125-010203-abcd", "render", "local", "/alice/", "l-0123456789ab",
                "openscad-ubuntu-box", "secret/plans.scad", Instant.parse("2026-11-25T01:02:03Z"),
                JobStatus.Stage.RUNNING, List.of(), Map.of(), Map.of());

        records.save(record);
        // Downloads (SFTP, S3) write their files with the umask's modes, as this one does.
        boolean kept = records.saveLog(record.id(), file -> {
            Files.writeString(file, "ECHO: the secret plans\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            return true;
        });

        assertTrue(kept);
        assertEquals("rwx------", mode(jobs));
        assertEquals("rwx------", mode(jobs.resolve(record.id())));
        assertEquals("rw-------", mode(jobs.resolve(record.id()).resolve("job.properties")));
        assertEquals("rw-------", mode(records.logFile(record.id())));
        assertEquals("ECHO: the secret plans\n", Files.readString(records.logFile(record.id())));
    }

    @Test
    void directoriesAnEarlierVersionLeftOpenAreClosedOnTheNextSave() throws Exception {
        Path jobs = Files.createDirectories(dir.resolve("jobs/j-20261125-010203-abcd"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))).getParent();
        Files.setPosixFilePermissions(jobs, PosixFilePermissions.fromString("rwxr-xr-x"));

        new JobRecords(jobs).save(new JobRecord("j-20261125-010203-abcd", "run", "local", "/alice/", "l-1", "r",
                "t", Instant.parse("2026-11-25T01:02:03Z"), JobStatus.Stage.RUNNING, List.of(), Map.of(), Map.of()));

        assertEquals("rwx------", mode(jobs));
        assertEquals("rwx------", mode(jobs.resolve("j-20261125-010203-abcd")));
    }

    private static String mode(Path path) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void aJobRemembersItsBoxPriceAndHowLongItRanAndCostsThePriceTimesThat() {
        JobRecords records = new JobRecords(dir);
        Instant created = Instant.parse("2026-11-25T01:00:00Z");
        Price price = new Price("t3.large", "us-east-1", Optional.of(0.0832), Optional.of(LocalDate.parse(
                "2026-12-05")), "bundled catalog");
        JobRecord running = new JobRecord("j-20261125-010000-abcd", "render", "ec2", "/alice/", "i-0123456789abcdef0",
                "openscad-ubuntu-box", "tiny/cube.scad", created, JobStatus.Stage.RUNNING, List.of(), Map.of(),
                Map.of()).withPrice(price);

        assertEquals(Optional.of(0.0832 / 2), running.cost(created.plus(Duration.ofMinutes(30))),
                "a running job costs the time since it started");
        JobRecord ended = running.withStatus(new JobStatus(JobStatus.Stage.SUCCEEDED, Optional.of(0),
                Optional.of(created.plusSeconds(5)), Optional.of(created.plusSeconds(5 + 3 * 3600))));
        assertEquals(Optional.of(Duration.ofHours(3)), ended.ran());
        assertEquals(0.0832 * 3, ended.cost(created.plus(Duration.ofDays(9))).orElseThrow(), 1e-12,
                "an ended job costs what it ran, however long ago");
        assertEquals("rendered x in 3h on i-0123456789abcdef0, estimated cost $0.2496 (t3.large at $0.0832/h)",
                ended.summary("rendered x"));

        records.save(ended);
        assertEquals(ended, records.get(ended.id()), "price and duration are read back as saved");

        JobRecord lost = running.withStatus(new JobStatus(JobStatus.Stage.LOST, Optional.empty(),
                Optional.of(created), Optional.empty()));
        assertEquals(Optional.empty(), lost.cost(Instant.now()), "an ended job of unknown duration has no cost");
        JobRecord free = running.withPrice(Price.free("a local box", "the local cloud"))
                .withStatus(new JobStatus(JobStatus.Stage.SUCCEEDED, Optional.of(0), Optional.of(created),
                        Optional.of(created.plusSeconds(61))));
        assertEquals(Optional.of(0.0), free.cost(Instant.now()));
        assertEquals("rendered x in 1m1s on i-0123456789abcdef0", free.summary("rendered x"),
                "a box that costs nothing says nothing of cost");
        JobRecord unpriced = new JobRecord("j-20261125-010000-abce", "run", "ec2", "/alice/", "i-0", "r", "t",
                created, JobStatus.Stage.RUNNING, List.of(), Map.of(), Map.of());
        assertEquals(Optional.empty(), unpriced.cost(Instant.now()));
        records.save(unpriced);
        assertEquals(Optional.empty(), records.get(unpriced.id()).price());
    }

    @Test
    void aRecordWrittenBeforeDeliveryExistedHasNone() throws Exception {
        Path file = Files.createDirectories(dir.resolve("j-20261125-010203-abcd")).resolve("job.properties");
        Files.writeString(file, "id=j-20261125-010203-abcd\nkind=render\ncloud=local\nnamespace=/alice/\n"
                + "box=l-1\nrole=openscad-ubuntu-box\ntitle=x\ncreated=2026-11-25T01:02:03Z\nstage=succeeded\n"
                + "output.0.remote=a\noutput.0.local=/tmp/a.stl\noutput.0.exit-file=a.exit\n"
                + "output.0.cache-name=output\n");
        JobRecord read = new JobRecords(dir).get("j-20261125-010203-abcd");
        assertTrue(read.delivery().isEmpty());
        assertEquals(Optional.empty(), read.location());
        assertEquals("", read.outputs().get(0).resultName());
    }
}
