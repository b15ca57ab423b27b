package io.cgrender.core.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
