package io.cgrender.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Jobs a user can control: cancel one, and a box running one is not terminated by accident. */
class JobControlEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    private String startSleeper() {
        Cli.Result started = cli.ok("run", "echo-box", "--detach", "--", "sleep", "300");
        return started.out().strip();
    }

    @Test
    void cancelEndsARunningJobAndLeavesItsBox() {
        String job = startSleeper();
        String box = cli.boxIds().get(0);

        Cli.Result cancelled = cli.ok("cancel", job);

        assertTrue(cancelled.err().contains("job " + job + " on " + box + " is cancelled"), cancelled.toString());
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("cancelled")),
                "the record says cancelled");
        assertEquals(List.of(box), cli.boxIds(), "the box stays");
        Cli.Result again = cli.ok("cancel", job);
        assertTrue(again.err().contains("has ended already (cancelled); nothing to cancel"), again.toString());
        Cli.Result unknown = cli.run("cancel", "j-20260101-000000-abcd");
        assertEquals(2, unknown.code(), unknown.toString());
    }

    @Test
    void logsOfAJobThatPrintedNothingYetSaySo() {
        String job = startSleeper();

        Cli.Result logs = cli.ok("logs", job);

        assertEquals("", logs.out(), logs.toString());
        assertEquals("job " + job + " is still running and has printed nothing yet; follow it with: cgrender logs "
                + job + " -f\n", logs.err());
        cli.ok("cancel", job);
    }

    @Test
    void gcForgetsRecordsOfEndedJobsOlderThanTheKeepSetting() throws java.io.IOException {
        String old = startSleeper();
        cli.ok("cancel", old);
        String running = startSleeper();
        for (String job : List.of(old, running)) {
            java.nio.file.Path record = cli.stateDir().resolve("jobs").resolve(job).resolve("job.properties");
            java.util.Properties p = new java.util.Properties();
            try (var in = java.nio.file.Files.newInputStream(record)) {
                p.load(in);
            }
            p.setProperty("created", java.time.Instant.now().minus(java.time.Duration.ofDays(40)).toString());
            try (var out = java.nio.file.Files.newOutputStream(record)) {
                p.store(out, null);
            }
        }

        Cli.Result listed = cli.ok("gc");
        assertTrue(listed.err().contains("1 record(s) of ended jobs started over 30d ago (cgrender.jobs.keep);"
                + " forget them with: cgrender gc --yes"), listed.toString());
        Cli.Result forgot = cli.ok("gc", "--yes");
        assertTrue(forgot.err().contains("forgot 1 record(s) of ended jobs started over 30d ago"), forgot.toString());
        String jobs = cli.ok("jobs").out();
        assertTrue(!jobs.contains(old) && jobs.contains(running), "the running job's record stays: " + jobs);
        cli.ok("cancel", running);
    }

    @Test
    void aBoxRunningAJobIsTerminatedOnlyWithForce() {
        String job = startSleeper();
        String box = cli.boxIds().get(0);

        Cli.Result refused = cli.run("terminate", box);

        assertEquals(2, refused.code(), refused.toString());
        List<String> lines = refused.err().lines().toList();
        assertEquals("error: box " + box + " runs job " + job + "; terminating it ends it", lines.get(0));
        assertEquals(List.of("error: box " + box + " runs job " + job + "; terminating it ends it",
                "fix: cgrender terminate " + box + " --force"), lines);
        assertEquals(List.of(box), cli.boxIds(), "nothing was terminated");

        cli.ok("terminate", box, "--force");
        assertEquals(List.of(), cli.boxIds());
    }
}
