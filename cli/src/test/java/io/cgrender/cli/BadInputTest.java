package io.cgrender.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input: a one-line error naming the problem and the fix, exit code 2, and nothing launched. */
class BadInputTest {

    @RegisterExtension
    final Cli cli = new Cli();

    private void assertRefused(Cli.Result r, String... fragments) {
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: "), r.toString());
        String firstLine = r.err().lines().findFirst().orElse("");
        for (String fragment : fragments) {
            assertTrue(firstLine.contains(fragment), "'" + fragment + "' missing in: " + r);
        }
        assertEquals("", r.out(), r.toString());
        assertNothingLaunched();
    }

    private void assertNothingLaunched() {
        Path boxes = cli.stateDir().resolve("local/boxes");
        try (var entries = Files.exists(boxes) ? Files.list(boxes) : java.util.stream.Stream.<Path>empty()) {
            assertEquals(0, entries.count(), "a box directory exists under " + boxes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aModelMissingFilesNamesEveryOneAndHowToMakeThemFound() throws IOException {
        Path model = cli.root().resolve("proj/model.scad");
        Files.createDirectories(model.getParent());
        Files.writeString(model, "include <parts/a.scad>\nuse <lib/gone.scad>\ncube(1);\n");

        Cli.Result r = cli.run("render", model.toString());

        assertRefused(r, "2 files are missing: ", "include <parts/a.scad> not found", "use <lib/gone.scad> not found");
        assertEquals(2, r.err().lines().count(), r.toString());
        assertEquals("fix: put them where the model looks, or add the directory that holds them to OPENSCADPATH or to"
                + " cgrender.render.library-dirs", r.err().lines().toList().get(1));
    }

    @Test
    void unknownRoleListsTheKnownOnes() {
        Cli.Result r = cli.run("create", "openscad-box");
        assertRefused(r, "unknown role 'openscad-box'", "openscad-ubuntu-box");
        assertEquals("see: cgrender list-roles", r.err().lines().toList().get(1), r.toString());
    }

    @Test
    void aRoleOfAnotherPackageManagerIsRefusedOnTheLocalCloud() throws IOException {
        // This machine is Debian or Ubuntu (apt): amazon-linux-box's setup is written for dnf.
        Cli.Result r = cli.run("create", "amazon-linux-box");
        assertRefused(r, "amazon-linux-box is written for Amazon Linux 2023 (dnf)", "a local box is this machine",
                "(apt)");
        assertEquals("fix: run it on a cloud of its own, e.g. cgrender --cloud ec2 create amazon-linux-box, or pick a"
                + " role for this machine: cgrender list-roles", r.err().lines().toList().get(1), r.toString());
        Path model = Files.writeString(cli.root().resolve("job.txt"), "x");
        assertRefused(cli.run("run", "amazon-linux-box", "--workdir", cli.root().toString(), "--", "true"),
                "amazon-linux-box is written for Amazon Linux 2023 (dnf)");
        assertTrue(Files.exists(model));
    }

    @Test
    void invalidNamespaceNamesTheRule() {
        assertRefused(cli.run("-n", "Alice", "list"), "invalid namespace 'Alice'", "starts and ends with '/'");
        assertRefused(cli.run("create", "echo-box", "-n", "/a b/"), "invalid namespace");
    }

    @Test
    void invalidNamespaceFromTheEnvironment() {
        cli.env().put("CGRENDER_NAMESPACE", "/UPPER/");
        assertRefused(cli.run("list"), "invalid namespace '/UPPER/'");
    }

    @Test
    void aFileNameWithALineBreakIsNamedVisiblyInOneLine() throws IOException {
        Path models = Files.createDirectories(cli.root().resolve("models"));
        Path model = Files.writeString(models.resolve("bracket\nv2.scad"), "cube(1);");
        assertRefused(cli.run("render", model.toString()),
                "cannot upload \"" + models + "/bracket\\nv2.scad\": its name has a line break", "rename it");

        Path work = Files.createDirectories(cli.root().resolve("work"));
        Files.writeString(Files.createDirectories(work.resolve("old\nparts")).resolve("notes.txt"), "x");
        assertRefused(cli.run("run", "echo-box", "--workdir", work.toString(), "--", "true"),
                "cannot upload \"" + work + "/old\\nparts/notes.txt\"", "line break");
    }

    @Test
    void runOutputsThatCannotWorkAreRefusedBeforeAnythingLaunches() throws IOException {
        Path work = Files.createDirectories(cli.root().resolve("work"));
        String dir = work.toString();
        assertRefused(cli.run("run", "echo-box", "--workdir", dir, "--outputs", "../secrets/*", "--", "true"),
                "--outputs \"../secrets/*\" leaves the job's work directory");
        assertRefused(cli.run("run", "echo-box", "--workdir", dir, "--outputs", "out/**", "--outputs", "/etc/passwd",
                "--", "true"), "--outputs \"/etc/passwd\" is outside the job's work directory");
        assertRefused(cli.run("run", "echo-box", "--outputs", ".", "--", "true"), "names the whole work directory",
                "--outputs '**'");
        assertRefused(cli.run("run", "echo-box", "-o", "results", "--", "true"), "-o results", "add --outputs GLOB");
        Path file = Files.writeString(cli.root().resolve("a-file"), "x");
        assertRefused(cli.run("run", "echo-box", "--outputs", "out/**", "-o", file + "/sub", "--", "true"),
                "output directory " + file + "/sub cannot be written");
        assertEquals("", cli.ok("jobs").out(), "no job was started");
    }

    @Test
    void runDockerNeedsAnImageReferenceAndARoleWithDocker() {
        for (String bad : new String[] {"Ubuntu", "ubuntu:", "ubuntu::24.04", "a b", "-it", "ubuntu@sha256:xyz"}) {
            Cli.Result r = cli.run("run", "docker-ubuntu-box", "--docker", bad, "--", "true");
            assertRefused(r, "--docker '" + bad + "' is not an image reference");
            assertTrue(r.err().lines().toList().get(1).startsWith("fix: name an image as Docker does"), r.toString());
        }
        Cli.Result noDocker = cli.run("run", "echo-box", "--docker", "ubuntu:24.04", "--", "true");
        assertRefused(noDocker, "--docker needs a box with Docker, and role echo-box has none");
        assertEquals("fix: cgrender run docker-ubuntu-box --docker ubuntu:24.04 -- CMD… (or a role of yours that"
                + " implements io.cgrender.core.box.DockerBox)", noDocker.err().lines().toList().get(1));
        assertEquals("", cli.ok("jobs").out(), "no job was started");
    }

    @Test
    void unknownBoxSaysHowToFindOne() {
        Cli.Result byRole = cli.run("ssh", "echo-box", "--", "true");
        assertRefused(byRole, "no box 'echo-box'");
        assertEquals("fix: cgrender create echo-box", byRole.err().lines().toList().get(1), byRole.toString());
        Cli.Result byId = cli.run("terminate", "l-0123456789ab");
        assertRefused(byId, "no box 'l-0123456789ab'");
        assertEquals("see: cgrender list", byId.err().lines().toList().get(1), byId.toString());
        assertRefused(cli.run("show", "echo-box#x"), "ordinal after '#' must be a whole number");
    }

    @Test
    void unknownConfigKeyNamesTheFileAndTheKnownKeys() throws IOException {
        Path conf = Files.writeString(cli.root().resolve("bad.conf"), "cgrender.box.idle-timout = 5m\n");
        assertRefused(cli.run("-c", conf.toString(), "list"), "unknown config key 'cgrender.box.idle-timout'",
                "bad.conf: 1", "idle-timeout");
    }

    @Test
    void badConfigValueInTheUserFile() throws IOException {
        Files.createDirectories(cli.configDir());
        Files.writeString(cli.configDir().resolve("cgrender.conf"), "cgrender.box.max-lifetime = soon\n");
        assertRefused(cli.run("create", "echo-box"), "max-lifetime");
    }

    @Test
    void unknownCloud() {
        assertRefused(cli.run("--cloud", "nimbus", "list"), "unknown cloud 'nimbus'", "local");
    }

    @Test
    void unknownCommandAndOptionSuggestHelp() {
        Cli.Result r = cli.run("crate", "echo-box");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("Unmatched argument") || r.err().contains("Unknown"), r.toString());
        assertTrue(r.err().contains("create"), "suggests the near command: " + r);
        Cli.Result option = cli.run("create", "--cuont", "2", "echo-box");
        assertEquals(2, option.code(), option.toString());
        assertTrue(option.err().contains("--cuont"), option.toString());
        assertNothingLaunched();
    }

    @Test
    void countMustBePositive() {
        assertRefused(cli.run("create", "echo-box", "--count", "0"), "--count must be at least 1");
    }

    @Test
    void rsyncNeedsAPathOnTheBox() {
        assertRefused(cli.run("rsync", "echo-box", "-av", "a/", "b/"), "start the box's path with ':'");
    }

    @Test
    void deleteImageOfAnotherNamespaceOrUnknown() {
        Cli.Result r = cli.run("delete-image", "limg-000000000000");
        assertRefused(r, "no image limg-000000000000");
        assertEquals("see: cgrender list-images", r.err().lines().toList().get(1), r.toString());
    }

    @Test
    void recreateWithoutImageSaysHowToMakeOne() {
        Cli.Result r = cli.run("recreate", "echo-box");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("\nfix: cgrender create echo-box && cgrender image echo-box\n"), r.toString());
        assertNothingLaunched();
    }

    @Test
    void versionAndHelpAndCompletion() {
        Cli.Result version = cli.ok("--version");
        assertTrue(version.out().startsWith("cgrender "), version.toString());
        assertFalse(version.out().contains("${"), "version is filtered at build time: " + version);
        Cli.Result help = cli.ok("--help");
        for (String command : new String[] {"list-roles", "create", "list", "show", "ssh", "rsync", "stop", "start",
                "terminate", "image", "recreate", "list-images", "delete-image", "completion"}) {
            assertTrue(help.out().contains(command), command + " missing from help: " + help);
        }
        Cli.Result completion = cli.ok("completion");
        assertTrue(completion.out().contains("complete -F"), completion.toString());
        assertTrue(completion.out().contains("list-roles"), completion.toString());
    }

    @Test
    void listRolesShowsBuiltInRolesWithDescriptions() {
        Cli.Result r = cli.ok("list-roles");
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("openscad-ubuntu-box") && l.contains("OpenSCAD")
                && l.contains("built-in") && l.contains("Ubuntu LTS")), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("amazon-linux-box ") && l.contains("Amazon Linux 2023")),
                r.toString());
        Cli.Result json = cli.ok("list-roles", "--json");
        assertTrue(json.out().contains("\"role\":\"openscad-ubuntu-box\""), json.toString());
        assertTrue(json.out().contains("\"role\":\"debian-box\",\"description\":\"Debian 12 for one-off work, with the AWS"
                + " CLI\",\"os\":\"DEBIAN\",\"package_manager\":\"apt\",\"login_user\":\"admin\""), json.toString());
    }

    @Test
    void emptyTablesPrintNoHeaderAndSaySoOnStandardError() {
        Cli.Result list = cli.ok("list");
        assertEquals("", list.out(), list.toString());
        assertEquals("no boxes in /tester/; make one with: cgrender create ROLE (see: cgrender list-roles)\n",
                list.err());
        assertEquals("[]", cli.ok("list", "--json").out().strip());
        Cli.Result ofRole = cli.ok("list", "openscad-ubuntu-box");
        assertEquals("no boxes of openscad-ubuntu-box in /tester/; make one with: cgrender create"
                + " openscad-ubuntu-box\n", ofRole.err());

        Cli.Result gc = cli.ok("gc");
        assertEquals("", gc.out(), gc.toString());
        assertEquals("nothing left behind in /tester/\n", gc.err());
        Cli.Result jobs = cli.ok("jobs");
        assertEquals("", jobs.out(), jobs.toString());
        assertEquals("no jobs started from here in /tester/\n", jobs.err());
        Cli.Result images = cli.ok("list-images");
        assertEquals("", images.out(), images.toString());
        assertEquals("no images in /tester/\n", images.err());
    }
}
