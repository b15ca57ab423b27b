package io.cgrender.local;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudContractTest;
import io.cgrender.core.os.ProcessIdentity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cloud contract, against real local box hosts. */
class LocalCloudContractTest extends CloudContractTest {

    @Override
    protected Cloud openCloud(CloudContext context) {
        return new LocalCloudProvider().open(context);
    }

    @Override
    protected String unknownMachineId() {
        return "l-000000000000";
    }

    /** No box directory and no box host process of this test may remain. */
    @Override
    protected void assertNothingLeftBehind() throws IOException {
        Path boxes = dirs.state().resolve("local").resolve("boxes");
        if (Files.isDirectory(boxes)) {
            try (Stream<Path> left = Files.list(boxes)) {
                assertEquals(0, left.count(), "box directories left in " + boxes);
            }
        }
        long hosts = ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args)).orElse("")
                        .contains(boxes.toString()))
                .filter(p -> ProcessIdentity.isRunning(p.pid()))
                .count();
        assertEquals(0, hosts, "box host processes left running");
    }
}
