package io.cgrender.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender render} end to end on the local cloud with real OpenSCAD: one warm openscad-ubuntu-box serves the
 * whole class, as it would serve a user's session.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RenderEndToEndTest {

    private static final Path EXAMPLES = Path.of("../examples/models").toAbsolutePath().normalize();
    private static final Pattern JOB_ID = Pattern.compile("j-\\d{8}-\\d{6}-[0-9a-f]{4}");

    private Cli cli;
    private Path project;

    @BeforeAll
    void start() throws IOException {
        cli = new Cli();
        project = cli.root().resolve("project");
        copyTree(EXAMPLES, project);
        Files.copy(Path.of("src/test/resources/models/slow.scad"), project.resolve("slow.scad"));
        cli.env().put("PWD", project.toString());
        cli.ok("create", "openscad-ubuntu-box");
    }

    @AfterAll
    void stop() throws IOException {
        cli.close();
    }

    @Test
    void rendersTheTinyModelNextToItAndTheSecondTimeFromTheCache() throws IOException {
        Cli.Result first = cli.ok("render", "tiny/cube.scad", "--no-cache");
        assertEquals("tiny/cube.stl\n", first.out(), first.toString());
        assertTrue(Files.readString(project.resolve("tiny/cube.stl")).startsWith("solid"), "an ASCII STL");
        assertTrue(first.err().contains("rendering tiny/cube.scad on l-"), first.toString());

        Path out = cli.root().resolve("dry-out");
        Cli.Result dry = cli.ok("render", "tiny/cube.scad", "--dry-run", "-o", out.toString());
        assertEquals("cache hit: tiny/cube.scad", dry.out().lines().findFirst().orElse(""), dry.toString());
        assertFalse(Files.exists(out), "a dry run leaves no output directory behind");
        Cli.Result changed = cli.ok("render", "tiny/cube.scad", "--dry-run", "-D", "size=3");
        assertEquals("render: tiny/cube.scad", changed.out().lines().findFirst().orElse(""), changed.toString());
        Cli.Result typo = cli.ok("render", "tiny/cube.scad", "--dry-run", "-D", "sise=3");
        assertTrue(typo.err().contains("-D sise: tiny/cube.scad has no top-level variable 'sise'; did you mean"
                + " size?"), typo.toString());

        Cli.Result second = cli.ok("render", "tiny/cube.scad");
        assertEquals("tiny/cube.stl\n", second.out(), second.toString());
        assertTrue(second.err().contains("cache hit: tiny/cube.scad"), second.toString());
        assertFalse(second.err().contains("rendering"), "nothing rendered: " + second);
    }

    /**
     * The warm path's round trips: the box's facts, the sync and the job's start share one command; the log follow,
     * the job's status, its log and its outputs another.
     */
    @Test
    void aWarmRenderRunsTwoCommandsOnTheBox() throws IOException {
        cli.ok("render", "tiny/cube.scad", "--no-cache");
        Path hostLog = cli.boxDir(cli.boxIds().get(0)).resolve("host.log");
        long before = commandsStarted(hostLog);

        Cli.Result warm = cli.ok("render", "tiny/cube.scad", "--no-cache");

        assertEquals("tiny/cube.stl\n", warm.out(), warm.toString());
        assertEquals(2, commandsStarted(hostLog) - before, warm.toString());
    }

    /**
     * A client that assumed another OpenSCAD version on the box (it remembers the last one it saw) learns the real
     * one from the sync's own command, calls that sync off, and answers from the result store for the real one.
     */
    @Test
    void aRenderThatAssumedAnotherOpenScadVersionTakesTheStoresResultForTheBoxsOwn() throws IOException {
        cli.ok("render", "tiny/cube.scad", "-D", "size=30", "--no-cache", "-o", cli.root().resolve("first").toString());
        Path assumed = cli.stateDir().resolve("openscad-version/local-openscad-ubuntu-box");
        String real = Files.readString(assumed);
        Files.writeString(assumed, "OpenSCAD version 2019.05\n");
        Path jobs = cli.boxDir(cli.boxIds().get(0)).resolve("home/.cgrender/jobs");
        long jobDirs = count(jobs);

        Path out = cli.root().resolve("second");
        Cli.Result r = cli.ok("render", "tiny/cube.scad", "-D", "size=30", "-o", out.toString());

        assertTrue(r.err().contains("cache hit: tiny/cube.scad"), r.toString());
        assertFalse(r.err().contains("rendering"), "nothing rendered: " + r);
        assertEquals(Files.readString(cli.root().resolve("first/cube.stl")), Files.readString(out.resolve("cube.stl")));
        assertEquals(real, Files.readString(assumed), "the box's version is remembered");
        io.cgrender.core.cloud.Eventually.await(Duration.ofSeconds(20), "the called-off sync's job directory goes",
                () -> count(jobs) == jobDirs);
    }

    private static long commandsStarted(Path hostLog) throws IOException {
        try (Stream<String> lines = Files.lines(hostLog)) {
            return lines.filter(l -> l.contains(" started pid ")).count();
        }
    }

    private static long count(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void verboseNamesEachFileSentAsGiven() throws IOException {
        String name = "sent-" + System.nanoTime() + ".scad"; // new to the box's upload cache, whatever ran before
        Files.writeString(project.resolve("tiny/" + name), "cube(2);\n");

        Cli.Result r = cli.ok("render", "tiny/" + name, "--no-cache", "-v");

        assertTrue(r.err().contains("1 file(s), "), r.toString());
        assertTrue(r.err().contains("\n  sent tiny/" + name + "\n"), "-v names the file sent, as given: " + r);
    }

    @Test
    void rendersTheMediumModelIntoAnOutputDirectory() throws IOException {
        Path out = cli.root().resolve("out-medium");
        Cli.Result r = cli.ok("render", "medium/enclosure.scad", "-o", out.toString(), "--no-cache");
        assertTrue(r.out().strip().endsWith("enclosure.stl"), r.toString());
        assertTrue(Files.size(out.resolve("enclosure.stl")) > 100_000, "a real mesh");
    }

    @Test
    void rendersEveryParameterSetWithPreviewsAndNamesThemBySet() throws IOException {
        Path out = cli.root().resolve("out-sets");
        Cli.Result r = cli.ok("render", "multi/bracket.scad", "-p", "multi/bracket.json", "--all-sets", "--preview",
                "-o", out.toString(), "--no-cache");
        for (String set : List.of("small", "medium", "large", "plain")) {
            assertTrue(Files.readString(out.resolve("bracket-" + set + ".stl")).startsWith("solid"), set);
            byte[] png = Files.readAllBytes(out.resolve("bracket-" + set + ".png"));
            assertEquals((byte) 0x89, png[0], "PNG signature of " + set);
            assertEquals('P', png[1]);
        }
        assertEquals(8, r.out().lines().count(), r.toString());
        assertTrue(r.err().contains("=== multi/bracket.scad [small]: exit 0 ==="), r.toString());
        Cli.Result one = cli.ok("render", "multi/bracket.scad", "-p", "multi/bracket.json", "-P", "large", "-f", "off",
                "-o", out.toString(), "--no-cache");
        assertTrue(Files.readString(out.resolve("bracket-large.off")).startsWith("OFF"), one.toString());
    }

    @Test
    void boxesSpreadsTheParameterSetsOverSeveralBoxes() throws IOException {
        Path out = cli.root().resolve("out-two-boxes");
        Cli.Result r = cli.ok("render", "multi/bracket.scad", "-p", "multi/bracket.json", "--all-sets", "--boxes", "2",
                "-o", out.toString(), "--no-cache");
        Matcher jobs = Pattern.compile("on (l-[0-9a-f]{12}) as job").matcher(r.err());
        java.util.Set<String> boxes = new java.util.HashSet<>();
        while (jobs.find()) {
            boxes.add(jobs.group(1));
        }
        assertEquals(2, boxes.size(), "two jobs on two boxes: " + r);
        for (String set : List.of("small", "medium", "large", "plain")) {
            assertTrue(Files.readString(out.resolve("bracket-" + set + ".stl")).startsWith("solid"), set);
        }
        assertEquals(4, r.out().lines().count(), r.toString());
    }

    @Test
    void aChangedIncludeMissesTheCache() throws IOException {
        Path copy = cli.root().resolve("multi-copy");
        copyTree(project.resolve("multi"), copy);
        cli.ok("render", copy.resolve("bracket.scad").toString());
        assertTrue(cli.ok("render", copy.resolve("bracket.scad").toString()).err().contains("cache hit"));
        Path params = copy.resolve("lib/params.scad");
        Files.writeString(params, Files.readString(params) + "\n// changed\n");
        Cli.Result after = cli.ok("render", copy.resolve("bracket.scad").toString());
        assertFalse(after.err().contains("cache hit"), after.toString());
        assertTrue(after.err().contains("rendering"), after.toString());
    }

    @Test
    void aSyntaxErrorShowsOpenScadsMessageWithTheUsersFileNameAndExitsOne() throws IOException {
        Files.createDirectories(project.resolve("broken/parts"));
        Files.writeString(project.resolve("broken/parts/a.scad"), "module a() { cube(1); }\n");
        Files.writeString(project.resolve("broken/model.scad"), "include <parts/a.scad>\na();\nx = ;\n");
        Cli.Result r = cli.run("render", "broken/model.scad");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("syntax error in file broken/model.scad, line 3"), r.toString());
        assertFalse(r.err().contains(".cgrender/work") || r.err().contains(".cgrender/jobs"), "no box paths: " + r);
        Matcher log = Pattern.compile("its log is in (\\S+)").matcher(r.err());
        assertTrue(log.find(), r.toString());
        assertTrue(Files.readString(Path.of(log.group(1))).contains("syntax error"), "the log was fetched");
        assertFalse(Files.exists(project.resolve("broken/model.stl")));
    }

    @Test
    void aMissingIncludeIsRefusedWithFileAndLineBeforeAnythingRuns() throws IOException {
        Files.writeString(project.resolve("missing.scad"), "// include <not/this.scad>\n\ninclude <parts/none.scad>\n");
        List<String> jobsBefore = jobIds();
        Cli.Result r = cli.run("render", "missing.scad");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: missing.scad:3: include <parts/none.scad> not found"), r.toString());
        assertEquals(jobsBefore, jobIds(), "no job was started");
    }

    @Test
    void badInputIsRefusedWithExitTwo() throws IOException {
        Files.writeString(project.resolve("notes.txt"), "not a model\n");
        Path file = Files.writeString(cli.root().resolve("a-file"), "x");
        assertBad(cli.run("render", "nope.scad"), "model file nope.scad does not exist");
        assertBad(cli.run("render", "notes.txt"), "notes.txt is not an OpenSCAD model");
        assertBad(cli.run("render", "tiny/cube.scad", "-f", "obj"), "unknown format 'obj'");
        assertBad(cli.run("render", "tiny/cube.scad", "-D", "oops"), "bad -D 'oops'");
        assertBad(cli.run("render", "multi/bracket.scad", "-p", "multi/bracket.json", "-P", "huge"),
                "parameter set 'huge' is not in");
        assertBad(cli.run("render", "multi/bracket.scad", "-P", "small"), "add -p FILE.json");
        assertBad(cli.run("render", "multi/bracket.scad", "--all-sets"), "--all-sets needs a parameter file");
        assertBad(cli.run("render", "tiny/cube.scad", "-o", file.toString()), "cannot be written (Not a directory)");
        assertBad(cli.run("render", "tiny/cube.scad", "-o", "/proc/cgrender-out"), "/proc/cgrender-out cannot be"
                + " written");
        assertBad(cli.run("render", "tiny/cube.scad", "--dry-run", "-o", "s3://bucket/x"), "the local cloud has no"
                + " storage of its own");
        assertBad(cli.run("render", "tiny/cube.scad", "--after", "sleep"), "--after takes keep, stop or terminate");
        assertBad(cli.run("render", "tiny/cube.scad", "--boxes", "0"), "--boxes must be at least 1");
        assertBad(cli.run("render", "tiny/cube.scad", "-D", "size=(3"), "-D 'size=(3': the value is not an OpenSCAD"
                + " expression ('(' is never closed)");
    }

    @Test
    void dryRunListsTheBoxAndEveryFileWithLibraryFilesBelowTheirLibraryRoot() throws IOException {
        Path lib = cli.root().resolve("libs");
        Files.createDirectories(lib.resolve("mylib"));
        Files.writeString(lib.resolve("mylib/std.scad"), "include <mylib/shapes.scad>\n");
        Files.writeString(lib.resolve("mylib/shapes.scad"), "module blob() { sphere(1); }\n");
        Files.writeString(project.resolve("uses-lib.scad"), "include <mylib/std.scad>\nblob();\n");
        cli.env().put("OPENSCADPATH", lib.toString());
        try {
            Cli.Result r = cli.ok("render", "uses-lib.scad", "--dry-run");
            List<String> lines = r.out().lines().toList();
            assertTrue(lines.get(0).startsWith("render: uses-lib.scad"), r.toString());
            assertTrue(lines.get(1).startsWith("box: l-"), r.toString());
            assertEquals(List.of("uses-lib.scad", "mylib/std.scad", "mylib/shapes.scad"), lines.subList(2, 5));
            Cli.Result multi = cli.ok("render", "multi/bracket.scad", "--dry-run");
            assertTrue(multi.out().contains("multi/assets/logo.svg"), multi.toString());
            assertTrue(multi.out().contains("multi/lib/geometry/rounding.scad"), multi.toString());
        } finally {
            cli.env().remove("OPENSCADPATH");
        }
    }

    @Test
    void aRenderSurvivesItsClientBeingKilledAndFetchBringsTheResult() throws Exception {
        Path log = cli.root().resolve("killed-client.log");
        Process client = startClient(log, "render", "slow.scad", "-D", "n=8", "--no-cache");
        String job;
        try {
            job = awaitJobId(client, log, Duration.ofSeconds(120));
            client.destroyForcibly();
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            client.destroyForcibly();
        }
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("running")),
                "the job still runs without its client");
        assertFalse(Files.exists(project.resolve("slow.stl")));
        Cli.Result fetched = cli.ok("fetch", job);
        assertEquals("slow.stl\n", fetched.out(), fetched.toString());
        assertTrue(Files.readString(project.resolve("slow.stl")).startsWith("solid"));
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("succeeded")
                && l.matches(".* \\d+s +\\$0 *")), "took and cost, nothing on the local cloud: "
                + cli.ok("jobs").out());
        assertTrue(cli.ok("logs", job).out().contains("Total rendering time"));
    }

    @Test
    void ctrlCLeavesTheRenderRunningAndSaysHowToReattach() throws Exception {
        Path log = cli.root().resolve("interrupted-client.log");
        Process client = startClient(log, "render", "slow.scad", "-D", "n=7", "-o", "interrupted", "--no-cache");
        String job;
        try {
            job = awaitJobId(client, log, Duration.ofSeconds(120));
            client.destroy(); // SIGTERM: the same shutdown path as Ctrl-C's SIGINT
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            client.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(output.contains("interrupted: job " + job + " goes on"), output);
        assertTrue(output.contains("cgrender fetch " + job), output);
        Cli.Result fetched = cli.ok("fetch", job);
        assertEquals("interrupted/slow.stl\n", fetched.out(), fetched.toString());
    }

    @Test
    void detachReturnsTheJobIdAndLogsFollowsIt() {
        Cli.Result started = cli.ok("render", "tiny/cube.scad", "-o", "detached", "--no-cache", "--detach");
        String job = started.out().strip();
        assertTrue(JOB_ID.matcher(job).matches(), started.toString());
        Cli.Result followed = cli.ok("logs", job, "-f");
        assertTrue(followed.out().contains("Total rendering time"), followed.toString());
        assertEquals("detached/cube.stl\n", cli.ok("fetch", job).out());
    }

    @Test
    void runExecutesACommandInASyncedWorkdirAndReturnsItsExitCode() throws IOException {
        Path work = Files.createDirectories(cli.root().resolve("work"));
        Files.writeString(work.resolve("input.txt"), "forty-two\n");
        Cli.Result cat = cli.ok("run", "openscad-ubuntu-box", "--workdir", work.toString(), "--", "cat", "input.txt");
        assertEquals("forty-two\n", cat.out(), cat.toString());
        Cli.Result failing = cli.run("run", "openscad-ubuntu-box", "--", "sh", "-c", "echo oops >&2; exit 3");
        assertEquals(3, failing.code(), failing.toString());
        assertTrue(failing.out().contains("oops"), failing.toString());
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.contains(" run ") && l.contains("failed")));
    }

    private void assertBad(Cli.Result r, String fragment) {
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: ") && r.err().lines().findFirst().orElse("").contains(fragment),
                "'" + fragment + "' in: " + r);
    }

    private List<String> jobIds() {
        return cli.ok("jobs", "--json").out().lines().flatMap(l -> JOB_ID.matcher(l).results())
                .map(m -> m.group()).toList();
    }

    private Process startClient(Path log, String... args) throws IOException {
        return cli.start(project, log, args);
    }

    /** Polls the client's output for "as job j-…", failing early if the client died. */
    static String awaitJobId(Process client, Path log, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            Matcher m = Pattern.compile("as job (" + JOB_ID.pattern() + ")").matcher(Files.readString(log));
            if (m.find()) {
                return m.group(1);
            }
            if (!client.isAlive()) {
                throw new AssertionError("the client ended before the job started:\n" + Files.readString(log));
            }
            client.waitFor(50, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("no job started within " + timeout + ":\n" + Files.readString(log));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().matches(".*\\.(stl|png|off)$")) {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
