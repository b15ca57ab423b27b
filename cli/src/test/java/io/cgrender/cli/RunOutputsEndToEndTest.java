package io.cgrender.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender run --outputs} end to end on the local cloud: the files a job creates or changes come back, however
 * it ends, right away or with {@code fetch} later. One echo-box serves the whole class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunOutputsEndToEndTest {

    private Cli cli;
    private Path here;

    @BeforeAll
    void start() throws IOException {
        cli = new Cli();
        here = Files.createDirectories(cli.root().resolve("here"));
        cli.env().put("PWD", here.toString());
        cli.ok("create", "echo-box");
    }

    @AfterAll
    void stop() throws IOException {
        cli.close();
    }

    private Path project(String name) throws IOException {
        Path work = Files.createDirectories(here.resolve(name));
        Files.writeString(work.resolve("input.txt"), "as it was\n");
        Files.writeString(work.resolve("notes.txt"), "first\n");
        Files.writeString(Files.createDirectories(work.resolve("src")).resolve("main.c"), "int main;\n");
        return work;
    }

    @Test
    void whatTheCommandCreatedOrChangedComesBackAndTheInputsItLeftDoNot() throws IOException {
        Path work = project("build");
        FileTime old = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(work.resolve("input.txt"), old);

        Cli.Result r = cli.ok("run", "echo-box", "--workdir", "build", "--outputs", "out/**", "--outputs", "*.txt",
                "--outputs", "src", "--", "sh", "-c", "mkdir -p out/deep/er && echo made > out/a.txt"
                        + " && printf '\\001\\002' > out/deep/er/b.bin && chmod +x out/deep/er/b.bin"
                        + " && echo second >> notes.txt && echo on-stdout");

        assertEquals("on-stdout\n", r.out(), "standard output is the command's: " + r);
        assertEquals("made\n", Files.readString(work.resolve("out/a.txt")));
        assertEquals(2, Files.readAllBytes(work.resolve("out/deep/er/b.bin")).length);
        assertTrue(Files.isExecutable(work.resolve("out/deep/er/b.bin")), "its mode comes too");
        assertEquals("first\nsecond\n", Files.readString(work.resolve("notes.txt")), "a changed input comes back");
        assertEquals(old, Files.getLastModifiedTime(work.resolve("input.txt")), "an unchanged input is not written");
        for (String written : new String[] {"build/out/a.txt", "build/out/deep/er/b.bin", "build/notes.txt"}) {
            assertTrue(r.err().lines().anyMatch(l -> l.equals("wrote " + written)), written + " named: " + r);
        }
        assertFalse(r.err().contains("input.txt") || r.err().contains("main.c"), r.toString());
        try (var files = Files.walk(work)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().contains(".part")).count(),
                    "no temporary file left");
        }

        Cli.Result jobs = cli.ok("jobs", "--json");
        assertTrue(jobs.out().contains("\"outputs\":{\"globs\":[\"out/**\",\"*.txt\",\"src\"],\"dir\":\"" + work
                + "\"}"), jobs.toString());
    }

    @Test
    void aFailedCommandsOutputsComeBackAndItsExitCodeIsCgrenders() throws IOException {
        Cli.Result r = cli.run("run", "echo-box", "--outputs", "out/**", "-o", "results", "--", "sh", "-c",
                "mkdir out && echo partial > out/part.txt && echo broken >&2 && exit 4");

        assertEquals(4, r.code(), r.toString());
        assertEquals("partial\n", Files.readString(here.resolve("results/out/part.txt")));
        assertTrue(r.err().contains("wrote results/out/part.txt"), r.toString());
        assertTrue(r.out().contains("broken"), r.toString());
    }

    @Test
    void detachedThenFetchedTheOutputsComeBackAndASecondFetchWritesNothingAgain() throws IOException {
        Path work = project("later");
        Cli.Result started = cli.ok("run", "echo-box", "--workdir", "later", "--outputs", "out", "--detach", "--",
                "sh", "-c", "mkdir out && echo late > out/late.txt && echo done");
        String job = started.out().strip();
        assertTrue(started.err().contains("get its outputs with: cgrender fetch " + job), started.toString());
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("(outputs: out)")));

        Cli.Result fetched = cli.ok("fetch", job);

        assertEquals("done\n", fetched.out(), fetched.toString());
        assertTrue(fetched.err().contains("wrote later/out/late.txt"), fetched.toString());
        assertEquals("late\n", Files.readString(work.resolve("out/late.txt")));
        Cli.Result again = cli.ok("fetch", job);
        assertFalse(again.err().contains("wrote"), "what is here already is not written again: " + again);
        assertTrue(again.err().contains("the files job " + job + " brings back are here already"), again.toString());
    }

    @Test
    void aClientKilledMidJobLeavesTheOutputsOnTheBoxForFetch() throws Exception {
        Path work = project("killed");
        Path log = cli.root().resolve("killed-client.log");
        String go = "go-" + System.nanoTime();
        Process client = cli.start(here, log, "run", "echo-box", "--workdir", "killed", "--outputs", "result.txt",
                "--", "sh", "-c", "while [ ! -e \"$HOME/" + go + "\" ]; do sleep 0.05; done; echo kept > result.txt");
        String job = RenderEndToEndTest.awaitJobId(client, log, Duration.ofSeconds(120));
        client.destroyForcibly();
        assertTrue(client.waitFor(30, TimeUnit.SECONDS), "the client is gone");
        Files.createFile(cli.boxDir(cli.boxIds().get(0)).resolve("home").resolve(go));

        Cli.Result fetched = cli.ok("fetch", job);

        assertEquals("kept\n", Files.readString(work.resolve("result.txt")), fetched.toString());
        assertTrue(fetched.err().contains("wrote killed/result.txt"), fetched.toString());
    }

    @Test
    void noSymbolicLinkIsFollowedOutOfTheJobsCopyAndWhatIsNoFileIsNamed() throws IOException {
        Path outside = Files.createDirectories(cli.root().resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "not the job's\n");
        Path work = project("links");

        Cli.Result r = cli.ok("run", "echo-box", "--workdir", "links", "--outputs", "out/**", "--outputs", "etc/**",
                "--", "sh", "-c", "mkdir out && echo real > out/real.txt && ln -s " + outside + " out/dir-link"
                        + " && ln -s " + outside + "/secret.txt out/file-link && ln -s " + outside + " etc"
                        + " && mkfifo out/pipe");

        assertEquals("real\n", Files.readString(work.resolve("out/real.txt")));
        for (String absent : new String[] {"out/dir-link", "out/file-link", "etc", "out/pipe"}) {
            assertFalse(Files.exists(work.resolve(absent), LinkOption.NOFOLLOW_LINKS), absent + " not written");
        }
        try (var files = Files.walk(work)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().equals("secret.txt")), "nothing from outside");
        }
        assertTrue(r.err().contains("warning: not brought back: \"out/dir-link\" is a symbolic link (never followed),"
                + " not a regular file"), r.toString());
        assertTrue(r.err().contains("warning: not brought back: \"etc\" is a symbolic link"), r.toString());
        assertTrue(r.err().contains("warning: not brought back: \"out/pipe\" is a named pipe"), r.toString());
    }

    @Test
    void aFileChangedHereWhileTheJobRanIsKeptAndTheJobsVersionWrittenBesideIt() throws IOException {
        Path work = project("edited");
        String go = "go-" + System.nanoTime();
        String job = cli.ok("run", "echo-box", "--workdir", "edited", "--outputs", "*.txt", "--detach", "--",
                "sh", "-c", "while [ ! -e \"$HOME/" + go + "\" ]; do sleep 0.05; done; echo by-the-job > notes.txt")
                .out().strip();
        Files.writeString(work.resolve("notes.txt"), "edited here\n");
        Files.writeString(work.resolve("input.txt"), "also edited here, and the job left it alone\n");
        Files.createFile(cli.boxDir(cli.boxIds().get(0)).resolve("home").resolve(go));

        Cli.Result fetched = cli.ok("fetch", job);

        assertEquals("edited here\n", Files.readString(work.resolve("notes.txt")), "the local edit is kept");
        assertEquals("by-the-job\n", Files.readString(work.resolve("notes.txt." + job)));
        assertFalse(Files.exists(work.resolve("input.txt." + job)), "an input the job left alone is no output");
        assertEquals("also edited here, and the job left it alone\n", Files.readString(work.resolve("input.txt")));
        assertTrue(fetched.err().contains("warning: edited/notes.txt changed here while job " + job + " ran; kept it,"
                + " and wrote the job's version beside it"), fetched.toString());
    }
}
